"""Devices moved between schools: list the transfers you can see, move a batch (trust IT team)."""
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from api.auth import api_user
from api.errors import unprocessable
from api.fields import ID, UtcDateTime
from api.pagination import PageArgs, page_schema, paginate
from services.assets import permissions
from services.assets import transfers as transfer_service
from services.assets.errors import AssetError
from services.assets.models import Transfer
from services.base import utcnow
from services.directory.models import School
from trust_it.extensions import db
from trust_it.tenancy import current_scope, scoped_get

PREFIX = "/transfers"
blp = Blueprint("api_transfers", __name__, description="Devices moved from one school of the trust to another.")


class TransferItemSchema(Schema):
    asset_id = fields.Integer(allow_none=True, metadata={"description": "Null if the asset was deleted since."})
    tag = fields.String(metadata={"description": "The asset tag it had when it moved."})
    description = fields.String()


class TransferSchema(Schema):
    id = fields.Integer()
    from_school_id = fields.Integer()
    from_school = fields.String(attribute="from_school_name")
    to_school_id = fields.Integer()
    to_school = fields.String(attribute="to_school_name")
    reason = fields.String()
    asset_count = fields.Integer()
    actor_name = fields.Function(lambda t: t.actor.display_name if t.actor else None, allow_none=True)
    created_at = UtcDateTime()
    items = fields.List(fields.Nested(TransferItemSchema))


class TransferCreateSchema(Schema):
    to_school_id = fields.Integer(required=True, validate=ID)
    from_school_id = fields.Integer(load_default=None, allow_none=True, validate=ID,
                                    metadata={"description": "Where the devices are; if left out, the school "
                                                             "they are all at."})
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    asset_ids = fields.List(fields.Integer(validate=ID),
                            validate=validate.Length(min=1, max=transfer_service.MAX_BATCH),
                            metadata={"description": "The assets to move; or give `tags`."})
    tags = fields.List(fields.String(validate=validate.Length(min=1, max=100)),
                       validate=validate.Length(min=1, max=transfer_service.MAX_BATCH),
                       metadata={"description": "Asset tags or serial numbers of the assets to move; or give "
                                                "`asset_ids`."})

    @validates_schema
    def _one_way_of_naming(self, data, **kwargs):
        if ("asset_ids" in data) == ("tags" in data):
            raise ValidationError("Give either asset_ids or tags.", "asset_ids")


class TransferListQuery(PageArgs):
    school_id = fields.Integer(validate=ID, metadata={"description": "Only transfers in or out of this school."})


def _readable_schools() -> list[int]:
    scope = current_scope()
    return [sid for sid in scope.school_ids if permissions.may_read(scope, sid)]


@blp.route("/")
class Transfers(MethodView):
    @blp.arguments(TransferListQuery, location="query")
    @blp.response(200, page_schema(TransferSchema, "TransferPage"))
    def get(self, args):
        """Transfers in or out of the schools whose register you read (cursor-paginated, oldest first)."""
        schools = _readable_schools()
        if args.get("school_id"):
            schools = [s for s in schools if s == args["school_id"]]
        page = paginate(transfer_service.visible(current_scope(), schools), Transfer.id, args, db.session)
        page["items"] = transfer_service.with_school_names(page["items"], current_scope())
        return page

    @blp.arguments(TransferCreateSchema)
    @blp.response(201, TransferSchema)
    def post(self, data):
        """Move assets to another school: all of them or, if any cannot move, none (422 naming them)."""
        from_school = scoped_get(School, data["from_school_id"]) if data.get("from_school_id") else None
        if data.get("from_school_id") and from_school is None:
            unprocessable(AssetError("No such school.", "from_school_id"))
        try:
            transfer = transfer_service.transfer(
                from_school=from_school, to_school=scoped_get(School, data["to_school_id"]),
                reason=data["reason"], tags=data.get("tags"), asset_ids=data.get("asset_ids"),
                by=api_user(), now=utcnow(), scope=current_scope())
        except AssetError as exc:
            unprocessable(exc)
        return transfer_service.with_school_names([transfer], current_scope())[0]
