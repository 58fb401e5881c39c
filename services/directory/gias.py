"""Parse a GIAS (Get Information About Schools) establishment CSV export.

The DfE's ``edubasealldataYYYYMMDD.csv`` is how a trust's schools, URNs and
LA/establishment numbers get into the directory. Trust staff download it and
upload it here, so the parser must survive the file as it really is
(Windows-1252 or UTF-8 with a BOM, ~140 columns, quoted fields containing commas
and line breaks, dates as dd-mm-yyyy or dd/mm/yyyy, "All-through" spelled
"All through" in some years) and, when a row is wrong, say exactly which line
and column so someone can find it in Excel. Bad rows are reported and skipped;
good rows still load; nothing in the file makes the parser itself fail.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import BinaryIO, Iterable

__all__ = [
    "GIAS_PHASES",
    "REQUIRED_COLUMNS",
    "GiasRowError",
    "GiasSchool",
    "filter_trust",
    "parse_gias_csv",
]

COL_URN = "URN"
COL_NAME = "EstablishmentName"
COL_LA = "LA (code)"
COL_ESTAB = "EstablishmentNumber"
COL_PHASE = "PhaseOfEducation (name)"
COL_PUPILS = "NumberOfPupils"
COL_TRUST_CODE = "Trusts (code)"
COL_TRUST_NAME = "Trusts (name)"
COL_STATUS = "EstablishmentStatus (name)"
COL_TYPE = "TypeOfEstablishment (name)"
COL_CLOSE_DATE = "CloseDate"

CLOSED = "Closed"
NAME_MAX = 200  # the directory's column, as the API and the school form allow
PUPILS_MAX = 100_000
DATE_FORMATS = ("%d-%m-%Y", "%d/%m/%Y")

REQUIRED_COLUMNS = (COL_URN, COL_NAME, COL_LA, COL_ESTAB, COL_PHASE)

GIAS_PHASES = frozenset(
    {
        "16 plus",
        "All-through",
        "Middle deemed primary",
        "Middle deemed secondary",
        "Not applicable",
        "Nursery",
        "Primary",
        "Secondary",
    }
)

# re.ASCII so that Unicode digits such as "²" or Arabic-Indic numerals never
# pass as part of a URN.
_URN = re.compile(r"[0-9]{6}", re.ASCII)
_LA_CODE = re.compile(r"[0-9]{3}", re.ASCII)
_ESTAB_NUMBER = re.compile(r"[0-9]{4}", re.ASCII)
_WHOLE_NUMBER = re.compile(r"[0-9]+", re.ASCII)
# "All through" (older extracts) and "All-through" (newer) are one phase.
_PHASE_BY_SPELLING = {re.sub(r"[\s-]+", " ", phase): phase for phase in GIAS_PHASES}


@dataclass(frozen=True)
class GiasSchool:
    """One valid establishment row; ``line`` is where it starts in the file."""

    urn: str
    name: str
    la_code: str
    establishment_number: str
    la_estab: str
    phase: str
    pupils: int | None
    trust_code: str | None
    trust_name: str | None
    status: str | None
    establishment_type: str | None
    line: int
    close_date: date | None = None

    @property
    def closed(self) -> bool:
        return self.status == CLOSED


@dataclass(frozen=True)
class GiasRowError:
    """A problem with one field (or the whole file when ``column`` is None).

    ``line`` is the physical line in the file, header = line 1, so it matches
    what a text editor shows; a record spanning several lines is reported at
    the line where it starts.
    """

    line: int
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.column is None else f"line {self.line}, column {self.column}"
        return f"{where}: {self.message}"


def _decode(raw: bytes) -> str:
    """UTF-8 (with or without BOM) if it decodes, otherwise Windows-1252.

    Trying UTF-8 first is safe because cp1252 text with any accented letter or
    curly quote is almost never valid UTF-8. The five bytes cp1252 leaves
    undefined are replaced rather than fatal, so one stray byte costs a
    character in a name instead of the whole upload.
    """
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _optional(value: str) -> str | None:
    return value or None


def _phase(value: str) -> str | None:
    return _PHASE_BY_SPELLING.get(re.sub(r"[\s-]+", " ", value.strip()))


def _date(value: str) -> date | None:
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    return None


def _check_row(line: int, field: dict[str, str]) -> list[GiasRowError]:
    """Errors for the required fields of one row, one per bad column."""
    errors = []

    def fail(column: str, message: str) -> None:
        errors.append(GiasRowError(line, column, message))

    if not _URN.fullmatch(field[COL_URN]):
        fail(COL_URN, f'"{field[COL_URN]}" is not a 6-digit URN')
    if not field[COL_NAME]:
        fail(COL_NAME, "establishment name is empty")
    elif len(field[COL_NAME]) > NAME_MAX:
        fail(COL_NAME, f"establishment name is {len(field[COL_NAME])} characters long; at most {NAME_MAX} fit")
    if not _LA_CODE.fullmatch(field[COL_LA]):
        fail(COL_LA, f'"{field[COL_LA]}" is not a 3-digit LA code')
    if not _ESTAB_NUMBER.fullmatch(field[COL_ESTAB]):
        fail(COL_ESTAB, f'"{field[COL_ESTAB]}" is not a 4-digit establishment number')
    if _phase(field[COL_PHASE]) is None:
        fail(COL_PHASE, f'"{field[COL_PHASE]}" is not a GIAS phase of education')
    pupils = field[COL_PUPILS]
    if pupils and not _WHOLE_NUMBER.fullmatch(pupils):
        fail(COL_PUPILS, f'"{pupils}" is not a number of pupils (expected a whole number, 0 or more)')
    elif pupils and int(pupils) > PUPILS_MAX:
        fail(COL_PUPILS, f'"{pupils}" pupils is more than any school has (at most {PUPILS_MAX:,})')
    if field[COL_CLOSE_DATE] and _date(field[COL_CLOSE_DATE]) is None:
        fail(COL_CLOSE_DATE, f'"{field[COL_CLOSE_DATE]}" is not a date (expected dd-mm-yyyy or dd/mm/yyyy)')
    for column, value in field.items():
        if "\x00" in value:
            fail(column, "contains a NUL character, which cannot be stored")
    return errors


def parse_gias_csv(data: bytes | BinaryIO, *, trust_code: str | None = None
                   ) -> tuple[list[GiasSchool], list[GiasRowError]]:
    """Parse a GIAS export into valid schools and per-field errors.

    Columns other than the ones this directory uses are ignored, so full
    ``edubasealldata`` files and trimmed custom downloads both work. Blank
    lines are skipped. A missing required header column yields a single
    line-1 error and no schools, since no row could then be trusted.
    """
    raw = data if isinstance(data, (bytes, bytearray)) else data.read()
    reader = csv.reader(io.StringIO(_decode(bytes(raw)), newline=""))

    header = next(reader, None)
    if header is None:
        return [], [GiasRowError(1, None, "the file is empty; expected a GIAS CSV header row")]
    index: dict[str, int] = {}
    for position, name in enumerate(header):
        index.setdefault(name.strip(), position)
    missing = [column for column in REQUIRED_COLUMNS if column not in index]
    if missing:
        return [], [GiasRowError(1, None, f"missing required columns: {', '.join(missing)}")]

    wanted = (*REQUIRED_COLUMNS, COL_PUPILS, COL_TRUST_CODE, COL_TRUST_NAME, COL_STATUS, COL_TYPE, COL_CLOSE_DATE)
    schools: list[GiasSchool] = []
    errors: list[GiasRowError] = []
    first_line_of_urn: dict[str, int] = {}
    previous_end = reader.line_num

    for row in _rows(reader, errors):
        line, previous_end = previous_end + 1, reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        field = {
            column: row[index[column]].strip() if column in index and index[column] < len(row) else ""
            for column in wanted
        }
        if trust_code is not None and field[COL_TRUST_CODE] != str(trust_code).strip():
            continue  # the national file is full of other trusts' rows; their faults are not ours
        row_errors = _check_row(line, field)

        urn = field[COL_URN]
        if _URN.fullmatch(urn):
            if urn in first_line_of_urn:
                row_errors.insert(
                    0, GiasRowError(line, COL_URN, f'"{urn}" duplicates the URN on line {first_line_of_urn[urn]}')
                )
            else:
                first_line_of_urn[urn] = line

        if row_errors:
            errors.extend(row_errors)
            continue
        schools.append(
            GiasSchool(
                urn=urn,
                name=field[COL_NAME],
                la_code=field[COL_LA],
                establishment_number=field[COL_ESTAB],
                la_estab=field[COL_LA] + field[COL_ESTAB],
                phase=_phase(field[COL_PHASE]),
                pupils=int(field[COL_PUPILS]) if field[COL_PUPILS] else None,
                trust_code=_optional(field[COL_TRUST_CODE]),
                trust_name=_optional(field[COL_TRUST_NAME]),
                status=_optional(field[COL_STATUS]),
                establishment_type=_optional(field[COL_TYPE]),
                line=line,
                close_date=_date(field[COL_CLOSE_DATE]) if field[COL_CLOSE_DATE] else None,
            )
        )
    return schools, errors


def _rows(reader, errors: list[GiasRowError]):
    """The reader's rows; a record the csv module cannot read (an unclosed quote running to the
    end, a field past its size limit) ends the file with an error at its line instead of a crash."""
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            errors.append(GiasRowError(reader.line_num, None, f"the file cannot be read from here on: {exc}"))
            return


def filter_trust(records: Iterable[GiasSchool], trust_code: str) -> list[GiasSchool]:
    """Only the schools whose ``Trusts (code)`` is ``trust_code``.

    A GIAS export covers every establishment in England; a trust only wants
    its own academies.
    """
    wanted = str(trust_code).strip()
    return [record for record in records if record.trust_code == wanted]
