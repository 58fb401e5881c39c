"""`trust-it import-gias FILE.csv`: schools created or updated by URN; bad rows reported by line."""
from pathlib import Path

from sqlalchemy import select

from services.directory.models import School, Trust
from tests.conftest import data
from trust_it.cli import import_gias

DATA = Path(__file__).parent / "data"


def _run(app, *args):
    return app.test_cli_runner().invoke(import_gias, list(args))


def _schools(app):
    with data(app) as s:
        return {sc.urn: sc for sc in s.execute(select(School)).scalars()}


def test_import_creates_the_trusts_schools_and_ignores_other_trusts(app, make):
    make.trust("Northfield Learning Trust")
    with data(app) as s:
        s.execute(select(Trust)).scalar_one().gias_group_uid = "16001"
    result = _run(app, str(DATA / "gias_good.csv"))
    assert result.exit_code == 0, result.output
    assert "6 schools added, 0 updated" in result.output and "1 rows of other trusts ignored" in result.output
    schools = _schools(app)
    assert len(schools) == 6
    northfield = schools["149901"]
    assert (northfield.name, northfield.phase, northfield.pupils, northfield.la_estab) == (
        "Northfield Academy", "Secondary", 1180, "3304001")
    assert northfield.slug == "northfield-academy"


def test_importing_again_updates_by_urn(app, make):
    make.trust()
    make.school("northfield", name="Old name", urn="149901", phase="Primary")
    result = _run(app, str(DATA / "gias_good.csv"), "--trust-code", "16001")
    assert result.exit_code == 0, result.output
    schools = _schools(app)
    assert schools["149901"].name == "Northfield Academy"
    assert schools["149901"].slug == "northfield"  # the web address people use stays the same
    assert "5 schools added, 1 updated" in result.output


def test_bad_rows_are_reported_by_line_and_nothing_is_imported(app, make):
    make.trust()
    result = _run(app, str(DATA / "gias_malformed.csv"))
    assert result.exit_code == 1
    assert "line 3, column URN" in result.output
    assert "line 4, column PhaseOfEducation (name)" in result.output
    assert "line 5, column NumberOfPupils" in result.output
    assert "line 6, column URN" in result.output
    assert "Nothing imported" in result.output
    assert _schools(app) == {}


def test_skip_invalid_loads_the_good_rows(app, make):
    make.trust()
    result = _run(app, str(DATA / "gias_malformed.csv"), "--skip-invalid")
    assert result.exit_code == 1  # still says something was wrong
    schools = _schools(app)
    assert "150001" in schools and "150011" in schools
    assert schools["150011"].name == "Hawthorn Academy"
    assert "12a456" not in schools


def test_a_windows_encoded_file_keeps_its_accents(app, make):
    make.trust()
    result = _run(app, str(DATA / "gias_cp1252.csv"))
    assert result.exit_code == 0, result.output
    assert any("Thérèse’s" in s.name for s in _schools(app).values())


def test_a_file_missing_columns_is_refused(app, make):
    make.trust()
    result = _run(app, str(DATA / "gias_missing_columns.csv"))
    assert result.exit_code == 1
    assert "line 1" in result.output and "EstablishmentNumber" in result.output
