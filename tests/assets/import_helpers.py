"""What the import and export tests share: a school with rooms and people, and a file run through
preview and commit as the pages do (the commit's job runs inline here)."""
from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import select

from services.assets import importer
from services.assets.models import Asset, ImportRun, Location
from services.directory.models import School, User
from tests.conftest import data

DATA = Path(__file__).parent / "data"
TODAY = date(2026, 9, 1)


def school_with_room(app, make, slug="oak", room="Science block S12"):
    school = make.school(slug)
    with data(app) as s:
        s.add(Location(school_id=school.id, name=room))
    return school


def preview(app, school, content: bytes, *, by=None, trust_wide=False, create_categories=False,
            filename="assets.csv") -> ImportRun:
    with data(app) as s:
        sch = s.get(School, school.id)
        run = importer.upload(trust_id=sch.trust_id, school=None if trust_wide else sch, filename=filename,
                              content=content, by=s.get(User, by.id) if by else None, today=TODAY,
                              create_categories=create_categories)
        _ = run.preview
    return run


def commit(app, run, *, date_order=None, valid_rows_only=False) -> ImportRun:
    with data(app) as s:
        importer.commit(s.get(ImportRun, run.id), date_order=date_order, valid_rows_only=valid_rows_only, today=TODAY)
    return reload(app, run)


def reload(app, run) -> ImportRun:
    with data(app) as s:
        found = s.get(ImportRun, run.id)
        _ = found.preview
        return found


def assets(app) -> dict[str, Asset]:
    with data(app) as s:
        found = s.execute(select(Asset).order_by(Asset.tag)).scalars().all()
        for a in found:
            _ = a.category.name, a.assigned_user, a.location, a.school
        return {a.tag: a for a in found}


def csv_bytes(lines: list[str], *, ending="\r\n", encoding="utf-8", delimiter=",") -> bytes:
    return ending.join(line.replace(",", delimiter) if delimiter != "," else line for line in lines).encode(encoding) \
        + ending.encode(encoding)
