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
    assert result.exit_code == 0, result.output  # it imported what it could; the bad rows are listed
    assert "line 3, column URN" in result.output and "bad values skipped" in result.output
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


# --- a real extract: ~140 columns, Windows-1252, closed schools, values out of range ----------

EXTRACT = DATA / "edubasealldata_extract_cp1252.csv"


def _avalon(app, make):
    make.trust("Vale of Avalon Learning Trust")
    with data(app) as s:
        s.execute(select(Trust)).scalar_one().gias_group_uid = "17543"


def test_a_real_extract_loads_the_open_schools_and_reports_every_bad_value_by_line_and_column(app, make):
    _avalon(app, make)
    result = _run(app, str(EXTRACT), "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert ("line 5, column NumberOfPupils: \"99999999999\" pupils is more than any school has (at most 100,000)"
            in result.output)
    assert ("line 6, column EstablishmentName: establishment name is 254 characters long; at most 200 fit"
            in result.output)
    assert "line 4: URN 123456 Old Mill Infant School closed on 31 August 2019; not imported." in result.output
    assert ("3 schools added, 0 updated, 0 unchanged, 1 closed not imported, 1 rows of other trusts ignored, "
            "2 bad values skipped.") in result.output
    schools = _schools(app)
    assert sorted(schools) == ["147811", "147812", "147815"]
    aethelred = schools["147811"]
    assert (aethelred.name, aethelred.slug) == ("St Æthelred's Church of England Primary School",
                                                "st-aethelreds-church-of-england-primary-school")
    assert (schools["147812"].phase, schools["147812"].pupils) == ("All-through", 1450)
    assert schools["147815"].name == "Our Lady’s Catholic Primary School"


def test_without_skip_invalid_a_real_extract_with_bad_values_imports_nothing(app, make):
    _avalon(app, make)
    result = _run(app, str(EXTRACT))
    assert result.exit_code == 1
    assert "line 5, column NumberOfPupils" in result.output and "line 6, column EstablishmentName" in result.output
    assert "Nothing imported: 2 bad values" in result.output
    assert _schools(app) == {}


def test_a_closed_school_already_in_the_directory_is_reported_not_changed(app, make):
    _avalon(app, make)
    make.school("old-mill", name="Old Mill Infants", urn="123456")
    result = _run(app, str(EXTRACT), "--skip-invalid")
    assert result.exit_code == 0 and "Old Mill Infant School closed on 31 August 2019; not imported" in result.output
    assert _schools(app)["123456"].name == "Old Mill Infants"


def test_a_urn_held_by_another_trusts_school_is_reported_and_the_rest_load(app, make):
    _avalon(app, make)
    make.school("elsewhere", name="Somewhere Else", urn="147811", trust=make.trust("Another Trust"))
    result = app.test_cli_runner().invoke(import_gias, ["-", "--skip-invalid", "--trust", "1"],
                                          input=EXTRACT.read_bytes())
    assert result.exit_code == 0, result.output
    assert "line 2, column URN: URN 147811 belongs to another trust's school" in result.output
    assert sorted(_schools(app)) == ["147811", "147812", "147815"]
    assert _schools(app)["147811"].name == "Somewhere Else"


def test_an_unreadable_file_is_reported_never_a_traceback(app, make):
    make.trust()
    runner = app.test_cli_runner()
    header = (DATA / "gias_good.csv").read_bytes().split(b"\n", 1)[0] + b"\n"
    for body in (b"", b"\x00\xff\xfe garbage", header + b'149999,330,B,4009,"Unclosed quote,Open\n',
                 header + b"149998,330,B,4008,Nul\x00Academy,Academy converter,Open,Primary,,,,1,16001,T\n",
                 header + b"149997,330,B,4007," + b"A" * 200_000 + b",Academy converter,Open,Primary\n"):
        result = runner.invoke(import_gias, ["-"], input=body)
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        assert result.exit_code == 1 and "line " in result.output, result.output
    assert _schools(app) == {}
