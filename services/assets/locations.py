"""A school's rooms and places ("Science block S12"), so a panel or projector has a place a ticket can name."""
from __future__ import annotations

from sqlalchemy import func, select

from services.assets.errors import AssetError
from services.assets.models import Asset, Location
from services.directory.models import School
from trust_it.extensions import db


def _clean(name: str, building: str) -> tuple[str, str]:
    name, building = " ".join((name or "").split()), " ".join((building or "").split())
    if not name:
        raise AssetError("Give the room a name, e.g. Science block S12.", "name")
    if len(name) > 120:
        raise AssetError("Keep the name under 120 characters.", "name")
    if len(building) > 120:
        raise AssetError("Keep the building under 120 characters.", "building")
    return name, building


def _check_free(school_id: int, name: str, except_id: int | None) -> None:
    stmt = select(Location.id).where(Location.school_id == school_id, func.lower(Location.name) == name.lower())
    if except_id is not None:
        stmt = stmt.where(Location.id != except_id)
    if db.session.execute(stmt.limit(1)).first() is not None:
        raise AssetError(f"The school already has a room called {name}.", "name")


def create_location(school: School, *, name: str, building: str = "") -> Location:
    name, building = _clean(name, building)
    _check_free(school.id, name, None)
    room = Location(school_id=school.id, name=name, building=building, active=True)
    db.session.add(room)
    db.session.flush()
    return room


def update_location(room: Location, *, name: str | None = None, building: str | None = None,
                    active: bool | None = None) -> Location:
    name, building = _clean(room.name if name is None else name, room.building if building is None else building)
    if name != room.name:
        _check_free(room.school_id, name, room.id)
    room.name, room.building = name, building
    if active is not None:
        room.active = bool(active)
    db.session.flush()
    return room


def rooms_of(school_id: int, *, include_inactive: bool = False) -> list[Location]:
    stmt = select(Location).where(Location.school_id == school_id).order_by(Location.building, Location.name)
    if not include_inactive:
        stmt = stmt.where(Location.active.is_(True))
    return list(db.session.execute(stmt).scalars())


def with_counts(school_id: int) -> list[tuple[Location, int]]:
    """Every room with how many assets are in it, in one query (a LEFT JOIN and a GROUP BY)."""
    stmt = (select(Location, func.count(Asset.id)).outerjoin(Asset, Asset.location_id == Location.id)
            .where(Location.school_id == school_id).group_by(Location.id)
            .order_by(Location.active.desc(), Location.building, Location.name))
    return [(room, n) for room, n in db.session.execute(stmt).all()]


def room_named(school_id: int, name: str) -> Location | None:
    """A room of the school by its name, as typed (any case)."""
    name = " ".join((name or "").split())
    if not name:
        return None
    return db.session.execute(select(Location).where(Location.school_id == school_id,
                                                     func.lower(Location.name) == name.lower())).scalars().first()
