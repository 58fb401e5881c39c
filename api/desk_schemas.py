"""Marshmallow schemas of the service desk API: tickets, their history and escalations.

What goes in is validated here (a bad value is a 422 naming the field, with the same
sentence the web form shows); the rules that need the database stay in services/desk.
"""
import re

from marshmallow import Schema, ValidationError, fields, validate

from api.fields import ID, ChangeSchema, UtcDateTime
from api.pagination import PageArgs
from services.desk.escalation import DECISION_KINDS
from services.desk.models import DECISIONS, IMPACTS, KINDS, STATUSES, TIERS, URGENCIES

KIND_ERROR = "Choose: something is broken, I need something, or how do I…?"
IMPACT_ERROR = "Choose who is affected: 1 whole school or many classes, 2 a class or a team, 3 just me."
URGENCY_ERROR = "Choose how urgent it is: 1 stops teaching or work now, 2 soon (today), 3 it can wait."


class CommaList(fields.String):
    """One value or several separated by commas (`?status=new,assigned`), each one of `choices`."""

    def __init__(self, choices, **kwargs):
        self.choices = tuple(choices)
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        items = [v.strip() for v in super()._deserialize(value, attr, data, **kwargs).split(",") if v.strip()]
        bad = [v for v in items if v not in self.choices]
        if not items or bad:
            raise ValidationError(f"Choose one or more of: {', '.join(self.choices)}.")
        return items


def _assignee(value):
    # A number beyond the ids' integer would be a database error on PostgreSQL, not "no one".
    if not (value in ("me", "none") or (re.fullmatch(r"[1-9][0-9]{0,9}", value) and int(value) <= ID.max)):
        raise ValidationError("Use me, none or a person's id.")


class PersonSchema(Schema):
    id = fields.Integer()
    name = fields.String(attribute="display_name")


class TicketSchema(Schema):
    id = fields.Integer(dump_only=True)
    reference = fields.String(dump_only=True, metadata={"description": "The school's reference, e.g. OAK-000123."})
    school_id = fields.Integer(dump_only=True)
    # Attribute paths, not fields.Function: marshmallow inspects a function's signature at every call.
    school = fields.String(attribute="school.slug", dump_only=True, metadata={"description": "The school's slug."})
    kind = fields.String(dump_only=True)
    title = fields.String(dump_only=True)
    status = fields.String(dump_only=True)
    tier = fields.Integer(dump_only=True, metadata={"description": "1 school, 2 trust technical team, 3 IT director."})
    priority = fields.Integer(dump_only=True, metadata={"description": "1 (highest) to 4, from impact × urgency."})
    impact = fields.Integer(dump_only=True)
    urgency = fields.Integer(dump_only=True)
    requester = fields.Nested(PersonSchema, allow_none=True, dump_only=True)
    assignee = fields.Nested(PersonSchema, allow_none=True, dump_only=True)
    created_at = UtcDateTime(dump_only=True)
    updated_at = UtcDateTime(dump_only=True)
    first_response_at = UtcDateTime(dump_only=True, allow_none=True)
    response_due_at = UtcDateTime(dump_only=True, allow_none=True)
    resolution_due_at = UtcDateTime(dump_only=True, allow_none=True, metadata={
        "description": "Null while the clock is paused or stopped."})
    sla_paused = fields.Boolean(dump_only=True,
                                metadata={"description": "True while the ticket waits for the requester."})
    sla_breached_at = UtcDateTime(dump_only=True, allow_none=True)
    source = fields.String(dump_only=True, metadata={"description": "web, email or api."})
    asset_id = fields.Integer(dump_only=True, allow_none=True, metadata={"description": "The device it is about."})
    location_id = fields.Integer(dump_only=True, allow_none=True, metadata={"description": "The room it is about."})


class NamedSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class TicketDetailSchema(TicketSchema):
    description = fields.String(dump_only=True)
    requester_email = fields.String(dump_only=True, allow_none=True, metadata={
        "description": "For a requester without an account here (raised by email or on their behalf)."})
    category = fields.Nested(NamedSchema, allow_none=True, dump_only=True)
    service = fields.Nested(NamedSchema, allow_none=True, dump_only=True)
    resolved_at = UtcDateTime(dump_only=True, allow_none=True)
    closed_at = UtcDateTime(dump_only=True, allow_none=True)


class TicketQuery(PageArgs):
    school = fields.Integer(validate=ID, metadata={"description": "A school id."})
    status = CommaList(STATUSES, metadata={"description": "One status or several, comma-separated."})
    tier = fields.Integer(validate=validate.OneOf(list(TIERS)))
    priority = fields.Integer(validate=validate.Range(min=1, max=4))
    kind = fields.String(validate=validate.OneOf(list(KINDS)))
    assignee = fields.String(validate=_assignee,
                             metadata={"description": "`me`, `none` (unassigned) or a person's id."})
    requester = fields.String(validate=validate.OneOf(["me"]), metadata={"description": "`me`: tickets you raised."})
    open = fields.Boolean(metadata={"description": "true: new to reopened; false: resolved or closed."})
    breaching_before = UtcDateTime(metadata={"description": "Resolution due at or before this moment (UTC)."})


class TicketCreateSchema(Schema):
    school_id = fields.Integer(validate=ID, metadata={"description": "Needed unless you belong to one school."})
    title = fields.String(required=True, metadata={
        "description": "In a few words, what is wrong or what you need."})
    description = fields.String(load_default="")
    kind = fields.String(load_default="incident", validate=validate.OneOf(list(KINDS), error=KIND_ERROR))
    impact = fields.Integer(load_default=3, validate=validate.OneOf(list(IMPACTS), error=IMPACT_ERROR))
    urgency = fields.Integer(load_default=3, validate=validate.OneOf(list(URGENCIES), error=URGENCY_ERROR))
    category_id = fields.Integer(allow_none=True, load_default=None, validate=ID)
    service_id = fields.Integer(allow_none=True, load_default=None, validate=ID)
    requester_email = fields.Email(metadata={
        "description": "The IT team raising a ticket for someone else: their email address."})
    asset_id = fields.Integer(allow_none=True, load_default=None, validate=ID, metadata={
        "description": "The device the ticket is about: an asset of the ticket's school; null for none."})
    location_id = fields.Integer(allow_none=True, load_default=None, validate=ID, metadata={
        "description": "The room the ticket is about: a room of the ticket's school; null for none."})


class TicketPatchSchema(ChangeSchema):
    status = fields.String(validate=validate.OneOf(list(STATUSES)))
    assignee_id = fields.Integer(allow_none=True, validate=ID, metadata={"description": "Null to unassign."})
    impact = fields.Integer(validate=validate.OneOf(list(IMPACTS), error=IMPACT_ERROR))
    urgency = fields.Integer(validate=validate.OneOf(list(URGENCIES), error=URGENCY_ERROR))
    category_id = fields.Integer(allow_none=True, validate=ID, metadata={"description": "Null for none."})
    service_id = fields.Integer(allow_none=True, validate=ID,
                                metadata={"description": "A service of the trust's catalogue; null for none."})
    asset_id = fields.Integer(allow_none=True, validate=ID, metadata={
        "description": "The device the ticket is about: an asset of the ticket's school; null for none."})
    location_id = fields.Integer(allow_none=True, validate=ID, metadata={
        "description": "The room the ticket is about: a room of the ticket's school; null for none."})


class AttachmentSchema(Schema):
    id = fields.Integer()
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer()


class EventSchema(Schema):
    id = fields.Integer(dump_only=True)
    kind = fields.String(dump_only=True, metadata={
        "description": "created, reply, note, status, assignment, priority, escalation, decision, handback, …"})
    public = fields.Boolean(load_default=True, metadata={"description": "False: an internal note (the IT team only)."})
    body = fields.String(required=True)
    actor = fields.Nested(PersonSchema, allow_none=True, dump_only=True)
    created_at = UtcDateTime(dump_only=True)
    data = fields.Dict(dump_only=True)
    attachments = fields.List(fields.Nested(AttachmentSchema), dump_only=True)


class EscalationSchema(Schema):
    id = fields.Integer(dump_only=True)
    from_tier = fields.Integer(dump_only=True)
    to_tier = fields.Integer(required=True, validate=validate.OneOf(
        [2, 3], error="Escalate to tier 2 (the trust's technical team) or 3 (the IT director)."))
    reason = fields.String(required=True, validate=validate.Length(min=1, error="Say why it needs the next tier."))
    decision_kind = fields.String(allow_none=True, load_default=None, validate=validate.OneOf(
        list(DECISION_KINDS), error="Choose what kind of decision it needs: spend, policy, exception or change."))
    automatic = fields.Boolean(dump_only=True)
    actor = fields.Nested(PersonSchema, allow_none=True, dump_only=True)
    created_at = UtcDateTime(dump_only=True)
    decision = fields.String(dump_only=True, allow_none=True)
    decision_text = fields.String(dump_only=True, allow_none=True)
    decided_by = fields.Nested(PersonSchema, allow_none=True, dump_only=True)
    decided_at = UtcDateTime(dump_only=True, allow_none=True)


class DecisionSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(
        list(DECISIONS), error="Choose approved, rejected or needs_info."))
    text = fields.String(required=True, metadata={"description": "What was decided and why."})
