"""A school's answers and conformance are its own, in the database itself as in the API."""
import pytest
from sqlalchemy import text

from services.directory.models import School
from services.standards import assessments
from tests.conftest import bearer, data
from tests.standards.conftest import NOW, item
from trust_it.extensions import db


def _answer_both(app, world):
    with data(app) as s:
        for school_id, word in ((world.primary.id, "Oak"), (world.secondary.id, "Elm")):
            assessments.record_attestation(s.get(School, school_id), item(s, world.trust.id, "RPA-BACKUPS"),
                                           status="met", evidence=f"{word} restore test", by=None, now=NOW)


def test_raw_sql_sees_only_the_answers_of_schools_in_scope(app, backend, world):
    if backend != "postgres":
        pytest.skip("row-level security is PostgreSQL's")
    _answer_both(app, world)
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(text("SELECT set_config('trust_it.school_ids', :ids, true)"), {"ids": str(world.primary.id)})
            assert conn.execute(text("SELECT evidence FROM standard_assessments")).scalars().all() == [
                "Oak restore test"]
            assert set(conn.execute(text("SELECT school_id FROM standard_conformance")).scalars()) == {
                world.primary.id}


def test_a_technician_reads_only_their_own_school(app, client, make, world):
    _answer_both(app, world)
    headers = bearer(app, make.user(role="technician", school=world.primary, trust=world.trust))
    listed = client.get("/api/v1/assessments/", headers=headers).json["items"]
    assert [a["evidence"] for a in listed] == ["Oak restore test"]
    other = client.get(f"/api/v1/assessments/?school={world.secondary.id}", headers=headers).json["items"]
    assert other == []
    assert client.get(f"/api/v1/compliance/schools/{world.secondary.id}", headers=headers).status_code == 404
