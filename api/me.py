from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from api.auth import api_user
from api.schemas import MeSchema
from services.directory.models import School
from trust_it.extensions import db
from trust_it.tenancy import current_scope

PREFIX = "/me"
blp = Blueprint("api_me", __name__, description="Who you are and what you can see.")


@blp.route("/")
class Me(MethodView):
    @blp.response(200, MeSchema)
    def get(self):
        """Your account, trust-wide roles and the schools you can see, with your roles there."""
        scope = current_scope()
        user = api_user()
        user.visible_memberships = [m for m in user.memberships if m.school_id is None or scope.sees(m.school_id)]
        schools = db.session.execute(select(School).order_by(School.name)).scalars()
        return {"user": user, "trust_roles": sorted(scope.trust_roles),
                "schools": [{"id": s.id, "slug": s.slug, "name": s.name, "roles": sorted(scope.roles_at(s.id))}
                            for s in schools]}
