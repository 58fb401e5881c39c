"""Loading a GIAS export as a trust's data lead would: the right schools come
through, and every bad row is reported at the line Excel or a text editor shows."""

import io
from pathlib import Path

import pytest

from services.directory.gias import GiasRowError, GiasSchool, filter_trust, parse_gias_csv

DATA = Path(__file__).parent / "data"
NORTHFIELD_TRUST = "16001"


def _parse(filename: str):
    return parse_gias_csv((DATA / filename).read_bytes())


def test_good_export_loads_every_school_without_errors():
    schools, errors = _parse("gias_good.csv")
    assert errors == []
    assert [(s.urn, s.line) for s in schools] == [
        ("149901", 2),
        ("149902", 3),  # its quoted street address runs over lines 3-4
        ("149903", 5),
        ("149904", 6),
        ("149905", 7),
        ("149906", 8),
        ("141234", 9),
    ]


def test_good_export_fills_every_field_of_a_school():
    schools, _ = _parse("gias_good.csv")
    assert schools[0] == GiasSchool(
        urn="149901",
        name="Northfield Academy",
        la_code="330",
        establishment_number="4001",
        la_estab="3304001",
        phase="Secondary",
        pupils=1180,
        trust_code="16001",
        trust_name="Northfield Learning Trust",
        status="Open",
        establishment_type="Academy converter",
        line=2,
    )


def test_school_name_with_a_comma_is_kept_whole_and_blank_pupils_is_unknown():
    schools = {s.urn: s for s in _parse("gias_good.csv")[0]}
    assert schools["149905"].name == "St Anne's Church of England Primary School, Northfield"
    assert schools["149905"].la_estab == "3303003"
    assert schools["149904"].pupils is None
    assert schools["149906"].pupils == 0


def test_filter_trust_keeps_only_our_two_secondaries_and_four_primaries():
    schools, _ = _parse("gias_good.csv")
    ours = filter_trust(schools, NORTHFIELD_TRUST)
    assert [s.urn for s in ours] == ["149901", "149902", "149903", "149904", "149905", "149906"]
    phases = [s.phase for s in ours]
    assert (phases.count("Secondary"), phases.count("Primary")) == (2, 4)
    assert [s.name for s in filter_trust(schools, "17002")] == ["Harbourside Primary School"]
    assert filter_trust(schools, "99999") == []


def test_a_binary_stream_parses_the_same_as_bytes():
    with (DATA / "gias_good.csv").open("rb") as stream:
        from_stream = parse_gias_csv(stream)
    assert from_stream == _parse("gias_good.csv")


def test_windows_1252_export_keeps_accents_and_curly_apostrophes():
    schools, errors = _parse("gias_cp1252.csv")
    assert errors == []
    assert [s.name for s in schools] == ["St Thérèse’s Catholic Primary School", "Café Quarter Academy"]


def test_utf8_with_and_without_bom_give_the_same_names():
    text = (DATA / "gias_cp1252.csv").read_bytes().decode("cp1252")
    with_bom = parse_gias_csv(b"\xef\xbb\xbf" + text.encode("utf-8"))
    without_bom = parse_gias_csv(io.BytesIO(text.encode("utf-8")))
    assert with_bom == without_bom == _parse("gias_cp1252.csv")


def test_malformed_export_reports_each_bad_row_at_its_line_and_column():
    _, errors = _parse("gias_malformed.csv")
    assert [(e.line, e.column) for e in errors] == [
        (3, "URN"),
        (4, "PhaseOfEducation (name)"),
        (5, "NumberOfPupils"),
        (6, "URN"),
        (9, "LA (code)"),
        (9, "EstablishmentNumber"),
    ]
    assert [str(e) for e in errors] == [
        'line 3, column URN: "12a456" is not a 6-digit URN',
        'line 4, column PhaseOfEducation (name): "Primery" is not a GIAS phase of education',
        'line 5, column NumberOfPupils: "-5" is not a number of pupils (expected a whole number, 0 or more)',
        'line 6, column URN: "150001" duplicates the URN on line 2',
        'line 9, column LA (code): "33" is not a 3-digit LA code',
        'line 9, column EstablishmentNumber: "12" is not a 4-digit establishment number',
    ]


def test_malformed_export_still_loads_the_good_rows_with_whitespace_trimmed():
    schools, _ = _parse("gias_malformed.csv")
    assert [(s.urn, s.line) for s in schools] == [("150001", 2), ("150007", 7), ("150011", 11)]
    hawthorn = schools[-1]
    assert (hawthorn.name, hawthorn.phase, hawthorn.pupils) == ("Hawthorn Academy", "Secondary", 977)
    assert hawthorn.la_estab == "3304111"


def test_missing_required_columns_is_one_header_error_and_no_schools():
    schools, errors = _parse("gias_missing_columns.csv")
    assert schools == []
    assert errors == [
        GiasRowError(1, None, "missing required columns: EstablishmentNumber, PhaseOfEducation (name)")
    ]
    assert str(errors[0]) == "line 1: missing required columns: EstablishmentNumber, PhaseOfEducation (name)"


def test_an_empty_upload_is_reported_rather_than_crashing():
    schools, errors = parse_gias_csv(b"")
    assert schools == []
    assert [(e.line, e.column) for e in errors] == [(1, None)]


@pytest.mark.parametrize(
    ("value", "column"),
    [
        ("URN=12345", "URN"),
        ("URN=1234567", "URN"),
        ("URN=１２３４５６", "URN"),
        ("EstablishmentName=", "EstablishmentName"),
        ("LA (code)=3300", "LA (code)"),
        ("EstablishmentNumber=40a1", "EstablishmentNumber"),
        ("PhaseOfEducation (name)=primary", "PhaseOfEducation (name)"),
        ("NumberOfPupils=12.5", "NumberOfPupils"),
    ],
)
def test_each_required_field_is_checked(value, column):
    row = {
        "URN": "149901",
        "EstablishmentName": "Northfield Academy",
        "LA (code)": "330",
        "EstablishmentNumber": "4001",
        "PhaseOfEducation (name)": "Secondary",
        "NumberOfPupils": "1180",
    }
    key, bad = value.split("=", 1)
    row[key] = bad
    data = (",".join(row) + "\n" + ",".join(row.values()) + "\n").encode("utf-8")
    schools, errors = parse_gias_csv(data)
    assert schools == []
    assert [(e.line, e.column) for e in errors] == [(2, column)]


def test_optional_columns_absent_from_a_trimmed_download_become_none():
    data = (
        b"URN,EstablishmentName,LA (code),EstablishmentNumber,PhaseOfEducation (name)\n"
        b"149901,Northfield Academy,330,4001,Secondary\n"
    )
    (school,), errors = parse_gias_csv(data)
    assert errors == []
    optional = (school.pupils, school.trust_code, school.trust_name, school.status, school.establishment_type)
    assert optional == (None,) * 5


def test_dates_in_either_spelling_and_all_through_phases_are_read():
    from services.directory.gias import GiasSchool  # noqa: F401
    schools, errors = parse_gias_csv((DATA / "edubasealldata_extract_cp1252.csv").read_bytes())
    by_urn = {s.urn: s for s in schools}
    assert by_urn["147812"].phase == "All-through"
    assert by_urn["123456"].closed and str(by_urn["123456"].close_date) == "2019-08-31"
    assert [(e.line, e.column) for e in errors] == [(5, "NumberOfPupils"), (6, "EstablishmentName")]


@pytest.mark.parametrize("value, ok", [("31-08-2019", True), ("31/08/2019", True), ("2019-08-31", False),
                                       ("31.08.2019", False), ("31-13-2019", False)])
def test_a_close_date_is_dd_mm_yyyy_with_dashes_or_slashes(value, ok):
    header = "URN,LA (code),EstablishmentNumber,EstablishmentName,PhaseOfEducation (name),CloseDate\n"
    schools, errors = parse_gias_csv(f"{header}149901,330,4001,Northfield Academy,Secondary,{value}\n".encode())
    assert (len(schools), [(e.line, e.column) for e in errors]) == ((1, []) if ok else (0, [(2, "CloseDate")]))
