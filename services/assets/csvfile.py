"""Reading the CSV files schools really have, and writing ones a spreadsheet cannot be tricked by.

Files come from Excel on Windows (Windows-1252, CRLF), Excel on a Mac (CR alone), LibreOffice
in a European locale (semicolons) and Snipe-IT (UTF-8, sometimes with a BOM). Reading takes
them all; writing neutralises cells a spreadsheet would run as a formula (CSV injection).
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

from services.assets.errors import AssetError

DELIMITERS = (",", ";", "\t")
# A spreadsheet treats a cell starting with one of these as a formula (OWASP's list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Table:
    header: list[str]
    rows: Iterator[tuple[int, list[str]]]   # (line the record starts on, cells)
    delimiter: str
    encoding: str


def decode(content: bytes) -> tuple[str, str]:
    """UTF-8 (with or without a BOM) when the bytes are UTF-8, else Windows-1252, which every
    byte decodes in: a file from Excel on Windows is read as Excel wrote it, never refused."""
    if content.startswith(b"\xef\xbb\xbf"):
        return content[3:].decode("utf-8", errors="replace"), "UTF-8 with BOM"
    try:
        return content.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        return content.decode("cp1252", errors="replace"), "Windows-1252"


def _first_line(text: str) -> str:
    for end, char in enumerate(text):
        if char in "\r\n":
            return text[:end]
    return text


def sniff_delimiter(header_line: str) -> str:
    """The delimiter that splits the header into the most columns (a header has no commas in
    its names in practice, while a semicolon file's header has no commas at all)."""
    counts = {d: len(next(csv.reader([header_line], delimiter=d), [])) for d in DELIMITERS}
    return max(DELIMITERS, key=lambda d: counts[d])


def read(content: bytes) -> Table:
    text, encoding = decode(content)
    if not text.strip():
        raise AssetError("The file is empty.", "file")
    delimiter = sniff_delimiter(_first_line(text))
    # newline="": CRLF, LF and a lone CR all end a record, and a line break inside quotes stays.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [cell.strip() for cell in next(reader)]

    def records():
        start = reader.line_num + 1
        for cells in reader:
            if any(cell.strip() for cell in cells):
                yield start, cells
            start = reader.line_num + 1
    return Table(header, records(), delimiter, encoding)


def neutralise(value: str) -> str:
    """A quote in front of a formula-looking cell: the spreadsheet shows it as text, never runs it."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def unneutralise(value: str) -> str:
    """Our own export's quote taken off again, so a round trip changes nothing."""
    if value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


def column_name(index: int) -> str:
    """A spreadsheet's column letters (0 → A, 27 → AB), as people find a cell."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name
