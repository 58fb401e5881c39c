class ServiceError(ValueError):
    """A rule of a service was broken; the message is a sentence a user can read.

    `field` names the form or API field at fault; a check that finds several faults at once
    also sets `errors` ({field: message}) so a form can show all of them."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
