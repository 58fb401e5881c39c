"""/api/v1/locations: the rooms of the schools you see, where devices are and tickets can point."""
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from sqlalchemy import select

from api.assets import may_edit_or_403, readable_schools
from api.assets_schemas import LocationPatchSchema, LocationQuery, LocationSchema
from api.errors import unprocessable
from api.pagination import page_schema, paginate
from services.assets import locations
from services.assets.errors import AssetError
from services.assets.models import Location
from services.directory.models import School
from trust_it.extensions import db
from trust_it.tenancy import scoped_get

PREFIX = "/locations"
blp = Blueprint("api_locations", __name__, description="Rooms and places of each school.")


@blp.route("/")
class Locations(MethodView):
    @blp.arguments(LocationQuery, location="query")
    @blp.response(200, page_schema(LocationSchema, "LocationPage"))
    def get(self, args):
        """Rooms of the schools whose register you see (cursor-paginated, by id)."""
        stmt = select(Location).where(Location.school_id.in_(readable_schools()))
        if args.get("school"):
            stmt = stmt.where(Location.school_id == args["school"])
        return paginate(stmt, Location.id, args, db.session)

    @blp.arguments(LocationSchema)
    @blp.response(201, LocationSchema)
    def post(self, data):
        """Add a room to a school."""
        school = scoped_get(School, data["school_id"])
        if school is None or school.id not in readable_schools():
            unprocessable(AssetError("No such school, or you do not see its register.", "school_id"))
        may_edit_or_403(school.id)
        try:
            return locations.create_location(school, name=data["name"], building=data["building"])
        except AssetError as exc:
            unprocessable(exc)


@blp.route("/<int:location_id>")
class LocationById(MethodView):
    @blp.response(200, LocationSchema)
    def get(self, location_id):
        """One room."""
        return _room_or_404(location_id)

    @blp.arguments(LocationPatchSchema)
    @blp.response(200, LocationSchema)
    def patch(self, data, location_id):
        """Rename a room, or mark it out of use."""
        room = _room_or_404(location_id)
        may_edit_or_403(room.school_id)
        try:
            return locations.update_location(room, **data)
        except AssetError as exc:
            unprocessable(exc)


def _room_or_404(location_id) -> Location:
    room = scoped_get(Location, location_id)
    if room is None or room.school_id not in readable_schools():
        abort(404, message="No such room.")
    return room
