"""/api/v1/baselines: the trust's standards, their versions and items, drafts, publishing and diffs.

Trust roles read them; the technical team and the IT director change them (services/standards/
permissions.py, shared with the pages). School people read the items they are held to through
/compliance. Another trust's baseline is a 404, like a missing id.
"""
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from api.auth import api_user
from api.errors import unprocessable
from api.pagination import PageArgs, page_schema, paginate
from api.standards_schemas import (
    BaselineSchema,
    DiffQuery,
    DiffSchema,
    ItemCreateSchema,
    ItemPatchSchema,
    ItemQuery,
    ItemSchema,
    PublishSchema,
    VersionSchema,
)
from services.base import utcnow
from services.standards import baselines, conformance, permissions
from services.standards.errors import StandardsError
from services.standards.models import Baseline, BaselineVersion, StandardItem
from trust_it.extensions import db
from trust_it.tenancy import current_scope

PREFIX = "/baselines"
blp = Blueprint("api_baselines", __name__, description="The trust's standards baselines, versioned.")


def _readable_or_403() -> int:
    scope = current_scope()
    if not permissions.may_read_baselines(scope):
        abort(403, message="Baselines are read by the trust's teams; your school's items are under /compliance.")
    return scope.trust_id


def _manager_or_403() -> None:
    if not permissions.may_manage_baselines(current_scope()):
        abort(403, message="Only the trust's technical team and IT director change baselines.")


def _baseline_or_404(baseline_id) -> Baseline:
    baseline = baselines.get_baseline(_readable_or_403(), baseline_id)
    if baseline is None:
        abort(404, message="No such baseline.")
    return baseline


def _item_or_404(baseline: Baseline, item_id) -> StandardItem:
    item = db.session.execute(select(StandardItem).join(BaselineVersion).where(
        StandardItem.id == item_id, BaselineVersion.baseline_id == baseline.id)).scalar_one_or_none()
    if item is None:
        abort(404, message="No such item in this baseline.")
    return item


@blp.route("/")
class Baselines(MethodView):
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, page_schema(BaselineSchema, "BaselinePage"))
    def get(self, args):
        """The trust's baselines (cursor-paginated, by id); empty for a role that reads them through
        /compliance instead."""
        scope = current_scope()
        trust_id = scope.trust_id if permissions.may_read_baselines(scope) else None
        stmt = (select(Baseline).where(Baseline.trust_id == trust_id).options(selectinload(Baseline.versions)))
        return paginate(stmt, Baseline.id, args, db.session)

    @blp.arguments(BaselineSchema)
    @blp.response(201, BaselineSchema)
    def post(self, data):
        """A trust baseline of its own (e.g. "staff laptop build v3"), with an empty draft to add items to."""
        trust_id = _readable_or_403()
        _manager_or_403()
        try:
            return baselines.create_baseline(trust_id, data, by=api_user(), now=utcnow())
        except StandardsError as exc:
            unprocessable(exc)


@blp.route("/<int:baseline_id>")
class BaselineById(MethodView):
    @blp.response(200, BaselineSchema)
    def get(self, baseline_id):
        """One baseline."""
        return _baseline_or_404(baseline_id)


@blp.route("/<int:baseline_id>/items")
class Items(MethodView):
    @blp.arguments(ItemQuery, location="query")
    @blp.response(200, page_schema(ItemSchema, "StandardItemPage"))
    def get(self, args, baseline_id):
        """The items of the published version, or of the version numbered `version` (cursor-paginated, by id)."""
        baseline = _baseline_or_404(baseline_id)
        if args.get("version"):
            version = baselines.version_by_number(baseline, args["version"])
        else:
            version = baselines.published_version(baseline) or baselines.draft_of(baseline)
        if version is None:
            abort(404, message="No such version of this baseline.")
        stmt = (select(StandardItem).where(StandardItem.version_id == version.id)
                .options(joinedload(StandardItem.version)))
        return paginate(stmt, StandardItem.id, args, db.session)

    @blp.arguments(ItemCreateSchema)
    @blp.response(201, ItemSchema)
    def post(self, data, baseline_id):
        """Add an item to the baseline's draft (made from the published version if there is none)."""
        baseline = _baseline_or_404(baseline_id)
        _manager_or_403()
        try:
            return baselines.add_item(baseline, data, by=api_user(), now=utcnow())
        except StandardsError as exc:
            unprocessable(exc)


@blp.route("/<int:baseline_id>/items/<int:item_id>")
class ItemById(MethodView):
    @blp.response(200, ItemSchema)
    def get(self, baseline_id, item_id):
        """One item of any version of the baseline."""
        return _item_or_404(_baseline_or_404(baseline_id), item_id)

    @blp.arguments(ItemPatchSchema)
    @blp.response(200, ItemSchema)
    def patch(self, data, baseline_id, item_id):
        """Change an item: the change goes into the draft (the item with the same code there), never into
        a published version. Publish the draft to hold schools to it."""
        baseline = _baseline_or_404(baseline_id)
        item = _item_or_404(baseline, item_id)
        _manager_or_403()
        try:
            return baselines.update_item(baseline, item.code, data, by=api_user(), now=utcnow())
        except StandardsError as exc:
            unprocessable(exc)

    @blp.response(204)
    def delete(self, baseline_id, item_id):
        """Remove the item (by its code) from the draft."""
        baseline = _baseline_or_404(baseline_id)
        item = _item_or_404(baseline, item_id)
        _manager_or_403()
        try:
            baselines.remove_item(baseline, item.code, by=api_user(), now=utcnow())
        except StandardsError as exc:
            unprocessable(exc)


@blp.route("/<int:baseline_id>/versions")
class Versions(MethodView):
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, page_schema(VersionSchema, "BaselineVersionPage"))
    def get(self, args, baseline_id):
        """The baseline's versions, oldest first (cursor-paginated, by id)."""
        baseline = _baseline_or_404(baseline_id)
        return paginate(select(BaselineVersion).where(BaselineVersion.baseline_id == baseline.id),
                        BaselineVersion.id, args, db.session)


@blp.route("/<int:baseline_id>/publish")
class Publish(MethodView):
    @blp.arguments(PublishSchema)
    @blp.response(200, VersionSchema)
    def post(self, data, baseline_id):
        """Publish the draft: schools are held to it from now, and the version before is superseded."""
        baseline = _baseline_or_404(baseline_id)
        _manager_or_403()
        draft = baselines.draft_of(baseline)
        if draft is None:
            unprocessable(StandardsError("There is no draft to publish: change an item first.", "version"))
        now = utcnow()
        try:
            version = baselines.publish(draft, by=api_user(), now=now, note=data.get("note", ""))
        except StandardsError as exc:
            unprocessable(exc)
        conformance.refresh(baseline.trust_id, None, now=now)  # every school is held to the new items at once
        return version


@blp.route("/<int:baseline_id>/diff")
class Diff(MethodView):
    @blp.arguments(DiffQuery, location="query")
    @blp.response(200, DiffSchema)
    def get(self, args, baseline_id):
        """What changed between two versions (by number): items added, removed and changed field by field."""
        baseline = _baseline_or_404(baseline_id)
        old = baselines.version_by_number(baseline, args["from_version"])
        new = baselines.version_by_number(baseline, args["to_version"])
        if old is None or new is None:
            abort(422, message="No such version of this baseline.",
                  errors={"query": {"from" if old is None else "to": ["No such version of this baseline."]}})
        return baselines.diff(old, new)
