"""/api/v1/assets: the asset register, with the same filters as the pages and cursor pages by id.

Visibility is the ORM guard's (another school's asset is a 404, like a missing id); the roles that
read and change the register are services/assets/permissions.py's, shared with the pages.
"""
from datetime import date

from flask.views import MethodView
from flask_smorest import Blueprint, abort
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from api.assets_schemas import AssetCreateSchema, AssetEventSchema, AssetPatchSchema, AssetQuery, AssetSchema
from api.auth import api_user
from api.errors import unprocessable
from api.pagination import page_schema, paginate
from services.assets import permissions, register
from services.assets.errors import AssetError
from services.assets.models import Asset
from services.assets.search import AssetFilters, statement
from services.base import utcnow
from services.directory.models import School
from trust_it.extensions import db
from trust_it.tenancy import current_scope, scoped_get

PREFIX = "/assets"
blp = Blueprint("api_assets", __name__, description="The asset register: devices, their history and who has them.")


def readable_schools() -> list[int]:
    scope = current_scope()
    return [sid for sid in scope.school_ids if permissions.may_read(scope, sid)]


def may_edit_or_403(school_id: int) -> None:
    if not permissions.may_edit(current_scope(), school_id):
        abort(403, message="Your role may read the register but not change it.")


def _asset_or_404(asset_id) -> Asset:
    asset = db.session.execute(select(Asset).where(Asset.id == asset_id).options(
        joinedload(Asset.school), joinedload(Asset.category))).unique().scalar_one_or_none()
    if asset is None or asset.school_id not in readable_schools():
        abort(404, message="No such asset.")
    return asset


def _filters(args) -> AssetFilters:
    def one(name):
        return (args[name],) if args.get(name) else ()
    return AssetFilters(today=date.today(), q=args.get("q", ""), school_ids=one("school"),
                        category_ids=one("category"), statuses=one("status"), warranty=args.get("warranty", ""),
                        replacement=args.get("replacement", ""), os=args.get("os", ""),
                        model=args.get("model", ""),
                        older_than_years=args.get("older_than"), location_id=args.get("location"),
                        assigned_user_id=args.get("person"), include_gone=args.get("include_gone", False))


def _ids(data: dict) -> dict:
    return {k: v for k, v in data.items() if k in register.EDITABLE}


@blp.route("/")
class Assets(MethodView):
    @blp.arguments(AssetQuery, location="query")
    @blp.response(200, page_schema(AssetSchema, "AssetPage"))
    def get(self, args):
        """Search and filter the register of the schools you see (cursor-paginated, by id)."""
        stmt = (statement(_filters(args)).where(Asset.school_id.in_(readable_schools()))
                .options(joinedload(Asset.school), joinedload(Asset.category)))
        return paginate(stmt, Asset.id, args, db.session)

    @blp.arguments(AssetCreateSchema)
    @blp.response(201, AssetSchema)
    def post(self, data):
        """Add an asset to a school's register."""
        school = scoped_get(School, data.pop("school_id"))
        if school is None or school.id not in readable_schools():
            unprocessable(AssetError("No such school, or you do not see its register.", "school_id"))
        may_edit_or_403(school.id)
        try:
            return register.create_asset(school, _ids(data), by=api_user(), now=utcnow())
        except AssetError as exc:
            unprocessable(exc)


@blp.route("/<int:asset_id>")
class AssetById(MethodView):
    @blp.response(200, AssetSchema)
    def get(self, asset_id):
        """One asset."""
        return _asset_or_404(asset_id)

    @blp.arguments(AssetPatchSchema)
    @blp.response(200, AssetSchema)
    def patch(self, data, asset_id):
        """Change an asset: every change is recorded in its history (who, when, before → after)."""
        asset = _asset_or_404(asset_id)
        may_edit_or_403(asset.school_id)
        try:
            register.update_asset(asset, _ids(data), by=api_user(), now=utcnow(), note=data.get("note", ""))
        except AssetError as exc:
            unprocessable(exc)
        return asset


@blp.route("/<int:asset_id>/history")
class AssetHistory(MethodView):
    @blp.response(200, AssetEventSchema(many=True))
    def get(self, asset_id):
        """The asset's history, newest first."""
        return register.history(_asset_or_404(asset_id))
