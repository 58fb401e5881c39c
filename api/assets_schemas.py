"""What the asset register's API takes and gives: assets, their history, rooms and licences.

Shapes and ranges are checked here (a 422 naming the field); the rules that need the database (a
unique tag, a room of the asset's school…) are services/assets/register.py's, with the same sentences
the pages show.
"""
from marshmallow import Schema, fields, validate

from api.fields import ID, ChangeSchema, UtcDateTime
from api.pagination import PageArgs
from services.assets.models import DISPOSAL_METHODS, FUNDING, STATUSES
from services.assets.search import REPLACEMENT, WARRANTY

TEXT = {"tag": 40, "serial": 100, "manufacturer": 100, "model": 150, "model_number": 100, "name": 150, "os": 60,
        "os_version": 60, "supplier": 150, "order_number": 100, "wipe_certificate": 120, "notes": 20000}
# Pounds and pence as a string ("649.99"); not negative, below £100m (the service checks both, naming the field).
MONEY = {"places": 2, "as_string": True, "allow_none": True,
         "metadata": {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$", "description": "Pounds, e.g. \"649.99\"."}}


def _asset_fields(required_tag: bool) -> dict:
    out = {name: fields.String(validate=validate.Length(max=size), allow_none=name == "serial")
           for name, size in TEXT.items()}
    out["tag"] = fields.String(required=required_tag, validate=validate.Length(min=1, max=40),
                               metadata={"description": "Unique across the trust; stored upper-case."})
    out.update({
        "category_id": fields.Integer(required=required_tag, validate=ID),
        "status": fields.String(validate=validate.OneOf(list(STATUSES))),
        "assigned_user_id": fields.Integer(allow_none=True, validate=ID,
                                           metadata={"description": "A person of the asset's school."}),
        "location_id": fields.Integer(allow_none=True, validate=ID,
                                      metadata={"description": "A room of the asset's school."}),
        "purchased_on": fields.Date(allow_none=True),
        "warranty_ends_on": fields.Date(allow_none=True),
        "end_of_life_on": fields.Date(allow_none=True, metadata={
            "description": "Overrides purchase date + the category's expected life."}),
        "disposed_on": fields.Date(allow_none=True),
        "disposal_method": fields.String(allow_none=True, validate=validate.OneOf(list(DISPOSAL_METHODS))),
        "funding": fields.String(allow_none=True, validate=validate.OneOf(list(FUNDING))),
        "cost": fields.Decimal(**MONEY),
        "custom": fields.Dict(keys=fields.String(validate=validate.Length(max=40)), values=fields.Raw(allow_none=True),
                              metadata={"description": "The category's custom fields, by key."}),
    })
    return out


AssetSchema = type("AssetSchema", (Schema,), {
    **_asset_fields(required_tag=False),
    "id": fields.Integer(dump_only=True),
    "school_id": fields.Integer(dump_only=True),
    "school": fields.String(attribute="school.slug", dump_only=True, metadata={"description": "The school's slug."}),
    "category": fields.String(attribute="category.name", dump_only=True),
    "replacement_due_on": fields.Date(dump_only=True, allow_none=True, metadata={"description": "Derived."}),
    "last_seen_at": UtcDateTime(dump_only=True, allow_none=True),
    "created_at": UtcDateTime(dump_only=True),
    "updated_at": UtcDateTime(dump_only=True)})

AssetCreateSchema = type("AssetCreateSchema", (Schema,), {
    "school_id": fields.Integer(required=True, validate=ID), **_asset_fields(required_tag=True)})
AssetPatchSchema = type("AssetPatchSchema", (ChangeSchema,), {
    **_asset_fields(required_tag=False), "note": fields.String(validate=validate.Length(max=500), load_only=True)})


class AssetQuery(PageArgs):
    q = fields.String(validate=validate.Length(max=100), metadata={
        "description": "Tag or serial prefix, model, device name, person or room."})
    school = fields.Integer(validate=ID)
    category = fields.Integer(validate=ID)
    status = fields.String(validate=validate.OneOf(list(STATUSES)))
    warranty = fields.String(validate=validate.OneOf(list(WARRANTY)))
    replacement = fields.String(validate=validate.OneOf(list(REPLACEMENT)))
    os = fields.String(validate=validate.Length(max=60), metadata={"description": "Start of the OS name."})
    model = fields.String(validate=validate.Length(max=60), metadata={"description": "Start of the model name."})
    older_than = fields.Integer(validate=validate.Range(min=1, max=50), metadata={"description": "Years."})
    location = fields.Integer(validate=ID)
    person = fields.Integer(validate=ID)
    include_gone = fields.Boolean(load_default=False, metadata={
        "description": "Include retired, lost/stolen and disposed assets."})


class AssetEventSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    actor = fields.Function(lambda e: e.actor.display_name if e.actor else None, allow_none=True)
    changes = fields.Dict(metadata={"description": "field → [before, after]"})
    note = fields.String()
    created_at = UtcDateTime()


class LocationSchema(Schema):
    id = fields.Integer(dump_only=True)
    school_id = fields.Integer(required=True, validate=ID)
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    building = fields.String(load_default="", validate=validate.Length(max=120))
    active = fields.Boolean(dump_only=True)


class LocationPatchSchema(ChangeSchema):
    name = fields.String(validate=validate.Length(min=1, max=120))
    building = fields.String(validate=validate.Length(max=120))
    active = fields.Boolean()


class LocationQuery(PageArgs):
    school = fields.Integer(validate=ID)


def _licence_fields() -> dict:
    return {"product": fields.String(validate=validate.Length(min=1, max=150)),
            "vendor": fields.String(validate=validate.Length(max=150)),
            "seats": fields.Integer(validate=validate.Range(min=0, max=1_000_000)),
            "seats_used": fields.Integer(validate=validate.Range(min=0, max=1_000_000)),
            "expires_on": fields.Date(allow_none=True),
            "cost": fields.Decimal(**MONEY),
            "reference": fields.String(validate=validate.Length(max=120)),
            "notes": fields.String(validate=validate.Length(max=5000))}


LicenceSchema = type("LicenceSchema", (Schema,), {
    **_licence_fields(),
    "id": fields.Integer(dump_only=True),
    "school_id": fields.Integer(load_default=None, allow_none=True, validate=ID,
                                metadata={"description": "Null: the whole trust's."}),
    "overused": fields.Function(lambda lic: lic.seats_used > lic.seats, dump_only=True,
                                metadata={"description": "More seats used than bought (a warning, not refused)."}),
    "product": fields.String(required=True, validate=validate.Length(min=1, max=150)),
    "seats": fields.Integer(required=True, validate=validate.Range(min=0, max=1_000_000))})

LicencePatchSchema = type("LicencePatchSchema", (ChangeSchema,), _licence_fields())


class LicenceQuery(PageArgs):
    school = fields.Integer(validate=ID, metadata={"description": "This school's and the trust's licences."})
