from services.errors import ServiceError


class DirectoryError(ServiceError):
    """A rule of the directory was broken."""
