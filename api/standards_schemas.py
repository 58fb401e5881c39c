"""What the standards API takes and gives: baselines, versions, items, assessments and compliance.

Shapes and ranges are checked here (a 422 naming the field); the rules that need the database are
services/standards' own, with the same sentences the pages show.
"""
from marshmallow import Schema, fields, validate

from api.fields import ID, ChangeSchema, UtcDateTime
from api.pagination import PageArgs
from services.standards.baselines import OWNER_TEAMS
from services.standards.checks import DERIVED_KEYS
from services.standards.models import (
    ASSESSMENT_STATUSES,
    CHECK_KINDS,
    COMPARISONS,
    DRIFT_CAUSES,
    EXCEPTION_STATUSES,
    PHASES,
    SEVERITIES,
    SOURCES,
    STATUSES,
)

TEXT = 20000
NUMBER = {"allow_none": True, "allow_nan": False, "validate": validate.Range(min=-1e12, max=1e12)}


class VersionSchema(Schema):
    id = fields.Integer()
    number = fields.Integer()
    status = fields.String(metadata={"description": "draft, published or superseded."})
    change_note = fields.String()
    created_at = UtcDateTime()
    published_at = UtcDateTime(allow_none=True)
    published_by_id = fields.Integer(allow_none=True)


class BaselineSchema(Schema):
    id = fields.Integer(dump_only=True)
    code = fields.String(required=True, validate=validate.Length(min=1, max=40))
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(validate=validate.Length(max=TEXT))
    source = fields.String(validate=validate.OneOf(list(SOURCES)))
    owner_team = fields.String(validate=validate.OneOf(list(OWNER_TEAMS)))
    current_version = fields.Function(
        lambda b: next((v.number for v in b.versions if v.status == "published"), None), dump_only=True,
        allow_none=True, metadata={"description": "The published version's number; null before the first."})
    draft_version = fields.Function(
        lambda b: next((v.number for v in b.versions if v.status == "draft"), None), dump_only=True,
        allow_none=True, metadata={"description": "The draft being edited, if any."})
    created_at = UtcDateTime(dump_only=True)


class ThresholdSchema(Schema):
    comparison = fields.String(validate=validate.OneOf(list(COMPARISONS)))
    threshold = fields.Float(required=True, allow_nan=False, validate=validate.Range(min=-1e12, max=1e12))
    partly = fields.Float(allow_nan=False, validate=validate.Range(min=-1e12, max=1e12))


class SettingSchema(Schema):
    key = fields.String(required=True, validate=validate.Length(min=1, max=60))
    expected = fields.Raw(required=True, allow_none=True, metadata={"type": ["string", "number", "boolean"]})


def _item_fields(create: bool) -> dict:
    return {
        "title": fields.String(required=create, validate=validate.Length(min=1, max=200)),
        "requirement": fields.String(validate=validate.Length(max=TEXT)),
        "good_looks_like": fields.String(validate=validate.Length(max=TEXT)),
        "how_to_meet": fields.String(validate=validate.Length(max=TEXT)),
        "severity": fields.String(validate=validate.OneOf(list(SEVERITIES))),
        "phases": fields.List(fields.String(validate=validate.OneOf(list(PHASES))),
                              metadata={"description": "Empty: every phase."}),
        "core_2030": fields.Boolean(),
        "check_kind": fields.String(validate=validate.OneOf(list(CHECK_KINDS))),
        "review_days": fields.Integer(allow_none=True, validate=validate.Range(min=1, max=3650)),
        "unit": fields.String(validate=validate.Length(max=20)),
        "thresholds": fields.Dict(keys=fields.String(validate=validate.OneOf([*PHASES, "default"])),
                                  values=fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=30)),
                                                     values=fields.Nested(ThresholdSchema)),
                                  metadata={"description": "For measured items: per phase (or default), the "
                                                           "rule of each measure, e.g. download and upload."}),
        "check_key": fields.String(allow_none=True, validate=validate.OneOf(list(DERIVED_KEYS))),
        "comparison": fields.String(allow_none=True, validate=validate.OneOf(list(COMPARISONS))),
        "threshold": fields.Float(**NUMBER),
        "partly_threshold": fields.Float(**NUMBER),
        "settings": fields.List(fields.Nested(SettingSchema)),
    }


ItemSchema = type("ItemSchema", (Schema,), {
    **_item_fields(create=False),
    "id": fields.Integer(dump_only=True),
    "code": fields.String(dump_only=True),
    "version": fields.Function(lambda i: i.version.number, dump_only=True),
    "position": fields.Integer(dump_only=True)})
ItemCreateSchema = type("ItemCreateSchema", (Schema,), {
    "code": fields.String(required=True, validate=validate.Length(min=1, max=40)), **_item_fields(create=True)})
ItemPatchSchema = type("ItemPatchSchema", (ChangeSchema,), _item_fields(create=False))


class ItemQuery(PageArgs):
    version = fields.Integer(validate=ID, metadata={"description": "A version number (default: the published one)."})


class PublishSchema(Schema):
    note = fields.String(validate=validate.Length(max=TEXT), metadata={"description": "What changed, and why."})


class DiffQuery(Schema):
    from_version = fields.Integer(required=True, data_key="from", validate=ID)
    to_version = fields.Integer(required=True, data_key="to", validate=ID)


class FieldChangeSchema(Schema):
    before = fields.Raw(allow_none=True)
    after = fields.Raw(allow_none=True)


class ItemChangeSchema(Schema):
    code = fields.String()
    title = fields.String()
    fields_ = fields.Dict(data_key="fields", attribute="fields", keys=fields.String(),
                          values=fields.Nested(FieldChangeSchema))


class DiffSchema(Schema):
    from_ = fields.Integer(data_key="from", attribute="from")
    to = fields.Integer()
    added = fields.List(fields.String())
    removed = fields.List(fields.String())
    changed = fields.List(fields.Nested(ItemChangeSchema))


class AssessmentSchema(Schema):
    id = fields.Integer()
    school_id = fields.Integer()
    item_id = fields.Integer()
    item_code = fields.Function(lambda a: a.item.code)
    status = fields.String(metadata={"description": ", ".join(ASSESSMENT_STATUSES)})
    value = fields.Float(allow_none=True)
    values = fields.Dict(keys=fields.String(), values=fields.Float())
    reason = fields.String()
    evidence = fields.String()
    attachment_filename = fields.String(allow_none=True)
    source = fields.String()
    assessed_by_id = fields.Integer(allow_none=True)
    assessed_at = UtcDateTime()
    expires_at = UtcDateTime(allow_none=True)


class AssessmentCreateSchema(Schema):
    school_id = fields.Integer(required=True, validate=ID)
    item_id = fields.Integer(required=True, validate=ID)
    status = fields.String(validate=validate.OneOf(["met", "partly_met", "not_met", "not_applicable"]), metadata={
        "description": "For an attestation; not_applicable (with a reason) for any item. Measured items take a "
                       "value and get their status from the threshold."})
    value = fields.Float(**NUMBER, metadata={"description": "A measured item's value, when it has one measure."})
    values = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=30)),
                         values=fields.Float(allow_nan=False, validate=validate.Range(min=-1e12, max=1e12)),
                         metadata={"description": "A measured item's values by measure, e.g. download and upload."})
    evidence = fields.String(validate=validate.Length(max=TEXT))
    reason = fields.String(validate=validate.Length(max=TEXT))


class AssessmentQuery(PageArgs):
    school = fields.Integer(validate=ID)
    item = fields.Integer(validate=ID)


class ConformanceSchema(Schema):
    item_id = fields.Integer()
    baseline_id = fields.Integer()
    code = fields.Function(lambda c: c.item.code)
    title = fields.Function(lambda c: c.item.title)
    core_2030 = fields.Function(lambda c: c.item.core_2030, metadata={"type": "boolean"})
    check_kind = fields.Function(lambda c: c.item.check_kind)
    status = fields.String(metadata={"description": ", ".join(STATUSES)})
    value = fields.Float(allow_none=True)
    figures = fields.Dict()
    expires_at = UtcDateTime(allow_none=True)
    since = UtcDateTime()
    computed_at = UtcDateTime()


class CountsSchema(Schema):
    school_id = fields.Integer()
    school = fields.String()
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(),
                         metadata={"description": "Items per status."})
    share_met = fields.Float(allow_none=True, metadata={"description": "% of applicable items met."})
    core_2030_met = fields.Integer()
    core_2030_applicable = fields.Integer()


class SchoolComplianceSchema(CountsSchema):
    items = fields.List(fields.Nested(ConformanceSchema))


class BaselineFilter(Schema):
    baseline = fields.Integer(validate=ID, metadata={"description": "Only this baseline's items."})


class ComplianceQuery(PageArgs, BaselineFilter):
    pass


class TrustComplianceSchema(Schema):
    schools = fields.Integer(metadata={"description": "Schools counted."})
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    share_met = fields.Float(allow_none=True)
    core_2030_met = fields.Integer(metadata={"description": "School × core item pairs met."})
    core_2030_applicable = fields.Integer()
    schools_meeting_core_2030 = fields.Integer(metadata={"description": "Schools meeting every core item."})


class ExceptionSchema(Schema):
    id = fields.Integer()
    school_id = fields.Integer()
    item_id = fields.Integer()
    item_code = fields.Function(lambda e: e.item.code)
    justification = fields.String()
    ends_on = fields.Date(metadata={"description": "The last day the exception holds (inclusive)."})
    status = fields.String(metadata={"description": ", ".join(EXCEPTION_STATUSES)})
    requested_by_id = fields.Integer(allow_none=True)
    requested_at = UtcDateTime()
    recommended_by_id = fields.Integer(allow_none=True)
    recommended_at = UtcDateTime(allow_none=True)
    recommendation = fields.String()
    decided_by_id = fields.Integer(allow_none=True)
    decided_at = UtcDateTime(allow_none=True)
    decision_text = fields.String()
    ended_at = UtcDateTime(allow_none=True)
    ticket_id = fields.Integer(allow_none=True, metadata={
        "description": "The desk ticket it is decided on: the IT director decides with "
                       "POST /api/v1/tickets/{ticket_id}/decision."})


class ExceptionCreateSchema(Schema):
    school_id = fields.Integer(required=True, validate=ID)
    item_id = fields.Integer(required=True, validate=ID)
    justification = fields.String(required=True, validate=validate.Length(min=1, max=5000))
    ends_on = fields.Date(required=True, metadata={"description": "The last day it holds; after today."})


class ExceptionQuery(PageArgs):
    school = fields.Integer(validate=ID)
    item = fields.Integer(validate=ID)
    status = fields.String(validate=validate.OneOf(list(EXCEPTION_STATUSES)))


class RecommendSchema(Schema):
    recommendation = fields.String(required=True, validate=validate.Length(min=1, max=TEXT), metadata={
        "description": "What the trust's team recommends the IT director decides, and why."})


class WithdrawSchema(Schema):
    reason = fields.String(load_default="", validate=validate.Length(max=TEXT))


class DriftSchema(Schema):
    id = fields.Integer()
    school_id = fields.Integer()
    item_id = fields.Integer()
    item_code = fields.Function(lambda d: d.item.code)
    from_status = fields.String()
    to_status = fields.String()
    cause = fields.String(metadata={"description": ", ".join(DRIFT_CAUSES)})
    at = UtcDateTime()
    ticket_id = fields.Integer(allow_none=True)


class DriftQuery(PageArgs):
    school = fields.Integer(validate=ID)
