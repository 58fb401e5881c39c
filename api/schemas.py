"""Marshmallow schemas of the API: what goes in (validated, 422 naming the field) and out."""
from marshmallow import Schema, fields, validate

from api.fields import ID, ChangeSchema, UtcDateTime
from services.directory.models import PHASES, SUPPORT_MODELS
from trust_it.tenancy import ALL_ROLES


class MembershipSchema(Schema):
    id = fields.Integer(dump_only=True)
    role = fields.String(required=True, validate=validate.OneOf(ALL_ROLES))
    school_id = fields.Integer(allow_none=True, load_default=None, validate=ID,
                               metadata={"description": "Null for a trust-wide role."})
    expires_at = UtcDateTime(allow_none=True, load_default=None)
    source = fields.String(dump_only=True)


class SchoolSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    slug = fields.String(validate=validate.Regexp(r"^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$"))
    urn = fields.String(allow_none=True, validate=validate.Regexp(r"^\d{6}$", error="A URN is 6 digits."))
    la_estab = fields.String(allow_none=True, validate=validate.Regexp(r"^\d{7}$", error="LAEstab is 7 digits."))
    phase = fields.String(validate=validate.OneOf(PHASES))
    pupils = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=100_000))
    support_model = fields.String(validate=validate.OneOf(list(SUPPORT_MODELS)))
    email_domains = fields.List(fields.String())
    timezone = fields.String()


class SchoolQuery(Schema):
    phase = fields.String(validate=validate.OneOf(PHASES))
    support_model = fields.String(validate=validate.OneOf(list(SUPPORT_MODELS)))
    q = fields.String(metadata={"description": "Part of the name, slug or URN."})


class UserSchema(Schema):
    id = fields.Integer(dump_only=True)
    email = fields.Email(required=True)
    display_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    active = fields.Boolean()
    created_at = UtcDateTime(dump_only=True)
    last_sign_in_at = UtcDateTime(dump_only=True, allow_none=True)
    memberships = fields.List(fields.Nested(MembershipSchema), load_default=list)


class UserUpdateSchema(ChangeSchema):
    display_name = fields.String(validate=validate.Length(min=1, max=200))
    active = fields.Boolean()


class UserQuery(Schema):
    q = fields.String(metadata={"description": "Part of the name or email."})
    school = fields.Integer(validate=ID,
                            metadata={"description": "Only members of this school."})
    role = fields.String(validate=validate.OneOf(ALL_ROLES))
    active = fields.Boolean()


class ScopeSchoolSchema(Schema):
    id = fields.Integer()
    slug = fields.String()
    name = fields.String()
    roles = fields.List(fields.String())


class MeSchema(Schema):
    user = fields.Nested(lambda: MeUserSchema())
    trust_roles = fields.List(fields.String())
    schools = fields.List(fields.Nested(ScopeSchoolSchema))


class TokenSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    prefix = fields.String(dump_only=True)
    user_id = fields.Integer(dump_only=True)
    created_at = UtcDateTime(dump_only=True)
    last_used_at = UtcDateTime(dump_only=True, allow_none=True)
    expires_at = UtcDateTime(allow_none=True, load_default=None)
    revoked_at = UtcDateTime(dump_only=True, allow_none=True)


class NewTokenSchema(TokenSchema):
    token = fields.String(dump_only=True, metadata={"description": "The secret. Shown once; store it now."})


class MeUserSchema(UserSchema):
    memberships = fields.List(fields.Nested(MembershipSchema), attribute="visible_memberships", dump_only=True)
