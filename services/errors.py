class ServiceError(ValueError):
    """A rule of a service was broken; the message is a sentence a user can read.

    `field` names the form or API field at fault; a check that finds several faults at once
    also sets `errors` ({field: message}) so a form can show all of them."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotAllowed(ServiceError):
    """The person's role does not allow the action: a 403 (page and API alike), not a form to correct.

    Each area's permission rules raise it (or their own subclass of it)."""
