"""Exporting any filtered list of the register as CSV or XLSX, streamed.

Rows come from the database in chunks (`yield_per`: a server-side cursor on PostgreSQL), are
written out and forgotten, so 300 000 assets cost the memory of one chunk. The CSV is sent as it
is made. An XLSX is a zip that can only be finished at the end: xlsxwriter in constant_memory mode
writes each row to a temporary file as it goes, and the finished file is then sent in chunks.
The columns are the importer's own (`import_columns.EXPORT_HEADERS`), so an export imported
back changes nothing; cells that a spreadsheet would run as a formula get a leading quote,
which the importer takes off again.
"""
from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterator

from sqlalchemy import func, select, true

from services.assets.csvfile import neutralise
from services.assets.import_columns import EXPORT_HEADERS
from services.assets.models import DISPOSAL_METHODS, FUNDING, STATUSES, Asset, AssetCategory, Location
from services.assets.search import AssetFilters, conditions
from services.directory.models import School, User
from trust_it.extensions import db

CHUNK = 2000


def _statement(filters: AssetFilters):
    return (select(Asset.tag, Asset.name, Asset.serial, Asset.manufacturer, Asset.model, Asset.model_number,
                   AssetCategory.name.label("category"), School.name.label("school"), Location.name.label("room"),
                   Asset.status, User.email, Asset.os, Asset.os_version, Asset.purchased_on, Asset.supplier,
                   Asset.order_number, Asset.cost, Asset.funding, Asset.warranty_ends_on, Asset.end_of_life_on,
                   Asset.replacement_due_on, Asset.disposed_on, Asset.disposal_method, Asset.wipe_certificate,
                   Asset.encrypted, Asset.notes, Asset.custom)
            .join(AssetCategory, AssetCategory.id == Asset.category_id)
            .join(School, School.id == Asset.school_id)
            .outerjoin(Location, Location.id == Asset.location_id)
            .outerjoin(User, User.id == Asset.assigned_user_id)
            .where(*conditions(filters))
            .order_by(Asset.school_id, Asset.tag))


def custom_keys(filters: AssetFilters) -> list[str]:
    """Every custom field key the matching assets use, one column each (asked of the database, so
    the rows themselves are read once)."""
    matching = select(Asset.custom.label("custom")).where(*conditions(filters)).subquery()
    if db.session.get_bind().dialect.name == "postgresql":
        stmt = select(func.json_object_keys(matching.c.custom)).distinct()
    else:
        each = func.json_each(matching.c.custom).table_valued("key")
        stmt = select(each.c.key).select_from(matching).join(each, true()).distinct()
    return sorted(k for k in db.session.execute(stmt).scalars() if k)


def rows(filters: AssetFilters, *, for_csv: bool = True) -> Iterator[list[str]]:
    """The header, then one list of cells per asset; a CSV's cells neutralised for spreadsheets
    (an XLSX needs no quote: its cells are written as text, which a spreadsheet never runs)."""
    keys = custom_keys(filters)
    yield list(EXPORT_HEADERS.values()) + keys
    result = db.session.execute(_statement(filters).execution_options(yield_per=CHUNK))
    for r in result:
        cells = [r.tag, r.name, r.serial, r.manufacturer, r.model, r.model_number, r.category, r.school, r.room,
                 STATUSES.get(r.status, r.status), r.email, r.os, r.os_version, r.purchased_on, r.supplier,
                 r.order_number, r.cost, FUNDING.get(r.funding, r.funding), r.warranty_ends_on, r.end_of_life_on,
                 r.replacement_due_on, r.disposed_on, DISPOSAL_METHODS.get(r.disposal_method, r.disposal_method),
                 r.wipe_certificate, None if r.encrypted is None else ("Yes" if r.encrypted else "No"), r.notes]
        custom = r.custom or {}
        cells += [custom.get(k) for k in keys]
        yield [_cell(v, for_csv) for v in cells]


def _cell(value, for_csv: bool) -> str:
    if value is None:
        return ""
    if value is True or value is False:
        return "Yes" if value else "No"
    return neutralise(str(value)) if for_csv else str(value)


def csv_chunks(filters: AssetFilters) -> Iterator[str]:
    """UTF-8 with a BOM (so Excel reads £ and accents right), CRLF, a few hundred rows per chunk."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    for n, row in enumerate(rows(filters), 1):
        writer.writerow(row)
        if n % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def xlsx_chunks(filters: AssetFilters, chunk_size: int = 256 * 1024) -> Iterator[bytes]:
    import xlsxwriter

    with tempfile.TemporaryDirectory(prefix="trust-it-export-") as tmp:
        path = f"{tmp}/assets.xlsx"
        book = xlsxwriter.Workbook(path, {"constant_memory": True, "tmpdir": tmp, "strings_to_formulas": False,
                                          "strings_to_urls": False, "strings_to_numbers": False})
        sheet = book.add_worksheet("Assets")
        bold = book.add_format({"bold": True})
        for n, row in enumerate(rows(filters, for_csv=False)):
            # write_string: every cell is text, so nothing in a cell is ever read as a formula.
            for col, value in enumerate(row):
                if n == 0:
                    sheet.write_string(n, col, value, bold)
                elif value:
                    sheet.write_string(n, col, value)
        book.close()
        with open(path, "rb") as finished:
            while chunk := finished.read(chunk_size):
                yield chunk
