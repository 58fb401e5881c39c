class DeskError(ValueError):
    """A rule of the service desk was broken; the message is a sentence a user can read."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
