from services.errors import ServiceError


class AssetError(ServiceError):
    """A rule of the asset register was broken."""
