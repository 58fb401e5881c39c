"""Importing the files schools really have: Snipe-IT's own samples, every encoding, line ending,
delimiter and date order, and the problems named by line and column."""
from datetime import date
from decimal import Decimal

import pytest

from services.assets.import_columns import CellError, parse_bool, parse_cost
from tests.assets.import_helpers import DATA, assets, commit, csv_bytes, preview, school_with_room

HEADER = "Asset Tag,Serial Number,Manufacturer,Model Name,Category,Purchase Date,Purchase Cost,Notes"


def test_snipe_it_sample_file_imports_with_its_own_headers(app, make):
    oak = school_with_room(app, make)
    tech = make.user(role="technician", school=oak, email="ksennett6@ibm.com", name="Katerina Sennett")
    run = preview(app, oak, (DATA / "snipeit-assets-sample.csv").read_bytes(), by=tech, create_categories=True)
    p = run.preview
    assert (p["rows"], p["create"], p["update"], p["error_count"], p["file_error"]) == (6, 6, 0, 0, "")
    columns = dict(p["columns"])
    assert columns["Asset Tag"] == "tag" and columns["Name"] == "name" and columns["Model"] == "model"
    assert columns["Checked Out To: Email"] == "email" and columns["Model Notes"] == "ignored"
    # gmccrackem2a@bing.com is nobody at Oak: a warning naming the line, the device stays unassigned
    assert [w[0] for w in p["warnings"]] == [3]
    assert "not one of Oak School's people" in p["warnings"][0][3]

    commit(app, run)
    found = assets(app)
    backhoe = found["ICC-2065556"]
    assert (backhoe.name, backhoe.manufacturer, backhoe.model, backhoe.model_number) == \
        ("Backhoe", "Berge Inc", "Nial", "1786VM80X07")
    assert (backhoe.purchased_on, backhoe.cost, backhoe.order_number) == (date(2023, 1, 23), Decimal("2266.13"),
                                                                           "3271901481")
    assert backhoe.category.name == "Ornamental Railings" and backhoe.supplier == "Kunde, Doyle and Kozey"
    assert found["BOL-0305383"].assigned_user.email == "ksennett6@ibm.com"
    assert found["BOL-0305383"].status == "deployed"


def test_snipe_it_categories_that_are_not_the_trusts_are_errors_unless_created(app, make):
    oak = school_with_room(app, make)
    run = preview(app, oak, (DATA / "snipeit-assets-sample.csv").read_bytes())
    first = run.preview["errors"][0]
    assert first == [2, "Category", "D", "“Ornamental Railings” is not one of the trust's categories."]
    assert run.preview["create"] == 0 and run.preview["bad_rows"] == 6


def test_snipe_it_mock_assets_with_cr_endings_us_dates_and_warranty_months(app, make):
    oak = school_with_room(app, make)
    run = preview(app, oak, (DATA / "snipeit-MOCK_ASSETS.csv").read_bytes(), create_categories=True)
    p = run.preview
    assert p["date_order"] == "mdy" and not p["date_order_needed"]  # 4/16/16 proves month/day
    assert (p["rows"], p["create"], p["error_count"]) == (9, 9, 0)
    commit(app, run)
    found = assets(app)
    first = found["970882174-8"]
    assert first.purchased_on == date(2016, 4, 5) and first.warranty_ends_on == date(2017, 6, 5)
    assert first.serial == "27AA8378-B0F4-4289-84A4-405DA95C6147" and first.status == "in_repair"
    assert first.model == "massa id" and first.model_number == "6.37702E+15"
    assert found["998233705-X"].status == "retired"          # Snipe-IT's "Archived"
    assert found["710141467-2"].status == "lost_stolen"
    assert found["118753405-6"].status == "in_stock"         # "Ready to Deploy"
    assert found["863829558-8"].serial is None               # no serial: found by its tag
    assert found["441402118-9"].custom == {}


ROWS = ["EX-001,5CG1234XYZ,HP,EliteBook 840,Laptop,13/09/2024,\"£1,299.00\",Café staff room",
        "EX-002,5CG1234XZZ,HP,EliteBook 840,Laptop,01/02/2024,£650,"]


@pytest.mark.parametrize("ending", ["\r\n", "\n", "\r"], ids=["crlf", "lf", "cr"])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_every_encoding_and_line_ending_reads_the_same(app, make, ending, encoding):
    oak = school_with_room(app, make)
    run = preview(app, oak, csv_bytes([HEADER, *ROWS], ending=ending, encoding=encoding))
    assert run.preview["error_count"] == 0, run.preview["errors"]
    assert run.preview["date_order"] == "dmy"  # 13/09 proves day/month for the whole file
    commit(app, run)
    found = assets(app)
    assert found["EX-001"].cost == Decimal("1299.00") and found["EX-001"].notes == "Café staff room"
    assert found["EX-002"].purchased_on == date(2024, 2, 1)
    assert found["EX-001"].replacement_due_on == date(2029, 9, 13)  # a laptop lives five years


def test_semicolon_file_with_decimal_commas(app, make):
    oak = school_with_room(app, make)
    content = "Asset tag;Serial number;Manufacturer;Category;Purchase cost;Purchase date\n" \
              "SC-1;ABC1;Dell;Desktop;1.234,50 €;2024-03-05\n".encode("cp1252")
    run = preview(app, oak, content)
    assert run.preview["delimiter"] == "semicolon" and run.preview["encoding"] == "Windows-1252"
    commit(app, run)
    assert assets(app)["SC-1"].cost == Decimal("1234.50")


def test_ambiguous_dates_need_an_answer_before_anything_is_written(app, make):
    from services.assets.errors import AssetError
    oak = school_with_room(app, make)
    run = preview(app, oak, csv_bytes([HEADER, ROWS[1]]))
    assert run.preview["date_order_needed"] and run.preview["date_examples"] == ["01/02/2024"]
    with pytest.raises(AssetError) as refused:
        commit(app, run)
    assert refused.value.field == "date_order"
    assert assets(app) == {}
    commit(app, run, date_order="mdy")
    assert assets(app)["EX-002"].purchased_on == date(2024, 1, 2)


def test_us_dates_proven_by_one_row(app, make):
    oak = school_with_room(app, make)
    run = preview(app, oak, csv_bytes([HEADER, "US-1,S1,Dell,Latitude,Laptop,9/23/24,100,",
                                       "US-2,S2,Dell,Latitude,Laptop,3/4/24,100,"]))
    assert run.preview["date_order"] == "mdy"
    commit(app, run)
    assert assets(app)["US-2"].purchased_on == date(2024, 3, 4)


def test_header_only_file_says_there_are_no_rows(app, make):
    oak = school_with_room(app, make)
    run = preview(app, oak, (HEADER + "\r\n").encode())
    assert run.preview["file_error"] == "The file has a header row but no rows of assets."


def test_duplicate_and_empty_header_names_are_named(app, make):
    oak = school_with_room(app, make)
    doubled = preview(app, oak, b"Asset Tag,Serial,asset tag\nA,B,C\n").preview["file_error"]
    assert "“asset tag” (columns A and C)" in doubled
    empty = preview(app, oak, b"Asset Tag,,Serial\nA,x,B\n").preview["file_error"]
    assert empty.startswith("Column B has no name")


def test_bad_rows_are_named_by_line_and_column_and_nothing_is_written(app, make):
    from services.assets.errors import AssetError
    oak = school_with_room(app, make)
    run = preview(app, oak, csv_bytes([HEADER, "OK-1,S1,Dell,Latitude,Laptop,2024-01-02,100,",
                                       "BAD-1,S2,Dell,Latitude,Laptop,2024-02-30,100,",
                                       "BAD-2,S3,Dell,Latitude,Toaster,2024-01-02,lots,"]))
    errors = run.preview["errors"]
    assert [3, "Purchase Date", "F", "“2024-02-30” is not a date that exists."] in errors
    assert [4, "Purchase Cost", "G", "“lots” is not an amount of money."] in errors
    assert run.preview["bad_rows"] == 2 and run.preview["create"] == 1
    with pytest.raises(AssetError):
        commit(app, run)
    assert assets(app) == {}


def test_import_the_valid_rows_when_chosen(app, make):
    oak = school_with_room(app, make)
    run = preview(app, oak, csv_bytes([HEADER, "OK-1,S1,Dell,Latitude,Laptop,2024-01-02,100,",
                                       "BAD-1,S2,Dell,Latitude,Laptop,2024-02-30,100,"]))
    done = commit(app, run, valid_rows_only=True)
    assert (done.status, done.created) == ("done", 1)
    assert list(assets(app)) == ["OK-1"]


def test_duplicate_tags_in_a_file_and_assets_of_another_school(app, make):
    oak = school_with_room(app, make)
    elm = school_with_room(app, make, slug="elm")
    commit(app, preview(app, elm, csv_bytes([HEADER, "ELM-1,E1,Dell,Latitude,Laptop,2024-01-02,100,"])))
    run = preview(app, oak, csv_bytes([HEADER, "ELM-1,E9,Dell,Latitude,Laptop,2024-01-02,100,",
                                       "OAK-1,O1,Dell,Latitude,Laptop,2024-01-02,100,",
                                       "OAK-1,O2,Dell,Latitude,Laptop,2024-01-02,100,"]))
    reasons = {e[0]: e[3] for e in run.preview["errors"]}
    assert reasons[2] == "Asset ELM-1 is at another school: move it with a transfer, not an import."
    assert reasons[4] == "Tag OAK-1 is also on line 3."


@pytest.mark.parametrize("text, amount", [("£1,299.00", "1299.00"), ("$1234.5", "1234.50"), ("1.234,56 €", "1234.56"),
                                          ("1 299", "1299.00"), ("12,5", "12.50"), ("€0.99", "0.99")])
def test_costs_with_symbols_and_separators(text, amount):
    assert parse_cost(text) == Decimal(amount)


@pytest.mark.parametrize("text, value", [("TRUE", True), ("yes", True), ("NO", False), ("1", True), ("0", False),
                                         ("", None)])
def test_booleans(text, value):
    assert parse_bool(text) is value


def test_a_boolean_that_is_not_one():
    with pytest.raises(CellError):
        parse_bool("maybe")
