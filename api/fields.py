"""Fields and base schemas shared by the API's schemas."""
from datetime import timezone

from marshmallow import Schema, ValidationError, fields, pre_load, validate

from trust_it.ids import MAX_ID

# An id as the database stores it: a larger number could never name a row.
ID = validate.Range(min=1, max=MAX_ID)


class UtcDateTime(fields.AwareDateTime):
    """A moment, always with its zone: stored moments are UTC without one (SQLite drops it), and
    the OpenAPI `date-time` format requires one. Sent without an offset, a moment is read as UTC."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("default_timezone", timezone.utc)
        super().__init__(*args, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        if value is not None:
            value = value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
        return super()._serialize(value, attr, obj, **kwargs)


class ChangeSchema(Schema):
    """A PATCH body: a request that names nothing to change is a mistake, not a silent success."""

    @pre_load
    def _something_to_change(self, data, **kwargs):
        if not data:
            raise ValidationError("Send at least one field to change.")
        return data
