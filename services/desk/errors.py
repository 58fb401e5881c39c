from services.errors import ServiceError


class DeskError(ServiceError):
    """A rule of the service desk was broken."""
