from flask.views import MethodView
from flask_smorest import Blueprint, abort
from marshmallow import fields
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from api.auth import api_user
from api.errors import unprocessable
from api.pagination import PageArgs, page_schema, paginate
from api.schemas import MembershipSchema, UserQuery, UserSchema, UserUpdateSchema
from services.base import utcnow
from services.directory import people
from services.directory.errors import DirectoryError
from services.directory.models import Membership, School, User
from trust_it.extensions import db
from trust_it.tenancy import current_scope, scoped_get

PREFIX = "/users"
blp = Blueprint("api_users", __name__, description="People and their roles.")
SEE_ALL = ("trust_admin", "it_director", "service_desk", "technical")
SEE_SCHOOL = ("technician", "msp_engineer", "school_lead", "edtech")


class UserListQuery(UserQuery, PageArgs):
    pass


def visible_users():
    """People the caller may see: the trust's central team sees everyone in the trust;
    a school's technicians and leads see members of their schools; anyone sees themself."""
    scope = current_scope()
    stmt = select(User).where(User.trust_id == scope.trust_id).options(selectinload(User.memberships))
    if scope.has_trust_role(*SEE_ALL):
        return stmt
    schools = [sid for sid, roles in scope.school_roles.items() if roles & set(SEE_SCHOOL)]
    now = utcnow()
    members = select(Membership.user_id).where(Membership.school_id.in_(schools),
                                               Membership.current_at(now))
    return stmt.where(or_(User.id == scope.user_id, User.id.in_(members)))


def _user_or_404(user_id) -> User:
    user = db.session.execute(visible_users().where(User.id == user_id)).scalar()
    if user is None:
        abort(404, message="No such person.")
    return user


def _admin_or_403():
    if not current_scope().has_trust_role("trust_admin"):
        abort(403, message="Only a trust administrator may change people and roles.")


def _school(school_id):
    if school_id is None:
        return None
    school = scoped_get(School, school_id)
    if school is None:
        raise DirectoryError("No such school.", "school_id")
    return school


def _visible_memberships(user):
    """Hide memberships at schools the caller cannot see (they would confirm those schools exist)."""
    scope = current_scope()
    user.visible_memberships = [m for m in user.memberships if m.school_id is None or scope.sees(m.school_id)]
    return user


class VisibleUserSchema(UserSchema):
    memberships = fields.List(fields.Nested(MembershipSchema), attribute="visible_memberships", dump_only=True)


@blp.route("/")
class Users(MethodView):
    @blp.arguments(UserListQuery, location="query")
    @blp.response(200, page_schema(VisibleUserSchema, "UserPage"))
    def get(self, args):
        """List the people you can see (cursor-paginated)."""
        stmt = visible_users()
        if args.get("q"):
            like = f"%{args['q'].lower()}%"
            stmt = stmt.where(or_(func.lower(User.email).like(like), func.lower(User.display_name).like(like)))
        now = utcnow()
        current = Membership.current_at(now)
        if args.get("school"):
            stmt = stmt.where(User.id.in_(select(Membership.user_id).where(
                Membership.school_id == args["school"], Membership.school_id.in_(current_scope().school_ids),
                current)))
        if args.get("role"):
            visible = Membership.school_id.in_(current_scope().school_ids) | (
                Membership.trust_id == current_scope().trust_id)
            stmt = stmt.where(User.id.in_(select(Membership.user_id).where(
                Membership.role == args["role"], current, visible)))
        if "active" in args:
            stmt = stmt.where(User.active == args["active"])
        page = paginate(stmt, User.id, args, db.session)
        page["items"] = [_visible_memberships(u) for u in page["items"]]
        return page

    @blp.arguments(UserSchema)
    @blp.response(201, VisibleUserSchema)
    def post(self, data):
        """Create a person with their roles (trust administrators). They sign in with Microsoft 365."""
        _admin_or_403()
        try:
            with db.session.begin_nested():
                user = people.create_user(trust_id=current_scope().trust_id, email=data["email"],
                                          display_name=data["display_name"], by=api_user())
                for i, m in enumerate(data.get("memberships") or []):
                    try:
                        people.add_membership(user, role=m["role"], school=_school(m.get("school_id")),
                                              expires_at=_naive(m.get("expires_at")), by=api_user())
                    except DirectoryError as exc:
                        exc.field = f"memberships.{i}.{exc.field or 'role'}"
                        raise
        except DirectoryError as exc:
            unprocessable(exc)
        return _visible_memberships(user)


def _naive(dt):
    if dt is not None and dt.tzinfo is not None:
        from datetime import timezone
        dt = dt.astimezone(timezone.utc).replace(tzinfo=None)
    return dt


@blp.route("/<int:user_id>")
class UserById(MethodView):
    @blp.response(200, VisibleUserSchema)
    def get(self, user_id):
        """One person."""
        return _visible_memberships(_user_or_404(user_id))

    @blp.arguments(UserUpdateSchema)
    @blp.response(200, VisibleUserSchema)
    def patch(self, data, user_id):
        """Rename or (de)activate a person (trust administrators)."""
        user = _user_or_404(user_id)
        _admin_or_403()
        try:
            if "display_name" in data:
                user.display_name = data["display_name"].strip()
            if "active" in data:
                people.set_active(user, data["active"], by=api_user())
        except DirectoryError as exc:
            unprocessable(exc)
        return _visible_memberships(user)


@blp.route("/<int:user_id>/memberships")
class UserMemberships(MethodView):
    @blp.arguments(MembershipSchema)
    @blp.response(201, MembershipSchema)
    def post(self, data, user_id):
        """Give a person a role in a school or the trust (trust administrators)."""
        user = _user_or_404(user_id)
        _admin_or_403()
        try:
            return people.add_membership(user, role=data["role"], school=_school(data.get("school_id")),
                                         expires_at=_naive(data.get("expires_at")), by=api_user())
        except DirectoryError as exc:
            unprocessable(exc)


@blp.route("/<int:user_id>/memberships/<int:membership_id>")
class UserMembership(MethodView):
    @blp.response(204)
    def delete(self, user_id, membership_id):
        """Take a role away (trust administrators)."""
        user = _user_or_404(user_id)
        membership = next((m for m in user.memberships if m.id == membership_id
                           and (m.school_id is None or current_scope().sees(m.school_id))), None)
        if membership is None:
            abort(404, message="No such membership.")
        _admin_or_403()
        people.remove_membership(membership, by=api_user())
