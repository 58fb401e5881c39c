"""What a register file's columns mean, and how its cells read: the import's vocabulary.

Header names match case-insensitively, by our own export's names and by the names and aliases
Snipe-IT's importer accepts (its field map in app/Livewire/Importer.php), so a Snipe-IT export,
Snipe-IT's sample files and a school's own spreadsheet all import without renaming columns.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from services.assets.models import DISPOSAL_METHODS, FUNDING, STATUSES

# Our export's header for each field, in the export's order; the importer reads them back.
EXPORT_HEADERS = {
    "tag": "Asset tag", "name": "Device name", "serial": "Serial number", "manufacturer": "Manufacturer",
    "model": "Model", "model_number": "Model number", "category": "Category", "school": "School",
    "room": "Room", "status": "Status", "email": "Assigned to", "os": "OS", "os_version": "OS version",
    "purchased_on": "Purchase date", "supplier": "Supplier", "order_number": "Order number",
    "cost": "Purchase cost", "funding": "Funding", "warranty_ends_on": "Warranty ends",
    "end_of_life_on": "End of life", "replacement_due_on": "Replacement due", "disposed_on": "Disposed on",
    "disposal_method": "Disposal method", "wipe_certificate": "Data-wipe certificate",
    "encrypted": "Encrypted", "notes": "Notes",
}
# Snipe-IT's field names and aliases (and a few a school's spreadsheet uses), lower-case.
ALIASES = {
    "tag": ["asset_tag", "asset tag", "tag"],
    "name": ["item_name", "item name", "asset name", "name"],
    "serial": ["serial", "serial number", "serial no.", "serial no", "product key", "key"],
    "model": ["asset_model", "model name", "model"],
    "model_number": ["model_number", "model no", "model no.", "model number", "model num", "model num."],
    "category": ["category"],
    "manufacturer": ["manufacturer", "make"],
    "school": ["company", "location", "school"],
    "status": ["status", "status label"],
    "purchased_on": ["purchase_date", "purchase date"],
    "cost": ["purchase_cost", "purchase cost", "cost"],
    "order_number": ["order_number", "order number"],
    "supplier": ["supplier"],
    "warranty_months": ["warranty_months", "warranty", "warranty months"],
    "end_of_life_on": ["asset_eol_date", "eol date", "asset eol date", "eol"],
    "notes": ["asset_notes", "asset notes", "notes"],
    "full_name": ["full_name", "full name", "fullname", "checked out to: full name"],
    "email": ["email", "e-mail", "checked out to: email"],
    "username": ["username", "user name", "checked out to: username"],
    "os": ["operating system"],
}
# Snipe-IT columns we know and have no place for: not custom fields, just not ours.
IGNORED = {"model_notes", "model notes", "checkout_class", "checkout type", "first_name", "first name",
           "checked out to: first name", "last_name", "last name", "checked out to: last name",
           "checkout_location", "checked out to: location", "image", "byod", "requestable", "last_checkin",
           "last check-in date", "last_checkout", "last checkout", "checkout date", "expected_checkin",
           "expected checkin", "last_audit_date", "last audit", "next_audit_date", "next audit", "depreciation",
           "id", "replacement due"}
DATE_FIELDS = ("purchased_on", "warranty_ends_on", "end_of_life_on", "disposed_on")

_HEADER_FIELDS: dict[str, str] = {}
for _field, _header in EXPORT_HEADERS.items():
    _HEADER_FIELDS[_header.lower()] = _field
for _field, _names in ALIASES.items():
    for _name in _names:
        _HEADER_FIELDS.setdefault(_name, _field)


def field_of(header: str) -> str | None:
    """The field a header names, "" for a known column we ignore, None for a custom field."""
    key = " ".join(header.split()).lower()
    if key in IGNORED:
        return ""
    return _HEADER_FIELDS.get(key)


def custom_key(header: str) -> str:
    """A custom field's key from its column name: "Screen Size (in)" → "screen_size_in"."""
    return re.sub(r"[^a-z0-9]+", "_", header.lower()).strip("_")[:60]


# --- cells ------------------------------------------------------------------------------------

class CellError(ValueError):
    """A cell that cannot be read, with the reason in words a user can act on."""


_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T ][\d:.]+Z?)?$")
_NUMERIC = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})(?: [\d:]+(?: ?[AP]M)?)?$", re.IGNORECASE)
_WORDY = ("%d %b %Y", "%d %B %Y", "%d-%b-%Y", "%d-%b-%y", "%d %b %y", "%b %d, %Y", "%B %d, %Y")


def date_evidence(text: str) -> str | None:
    """What one cell says about the file's day/month order: "dmy", "mdy", "ambiguous" or None (no question)."""
    m = _NUMERIC.match(text.strip())
    if not m:
        return None
    first, second = int(m.group(1)), int(m.group(2))
    if first > 12 >= second:
        return "dmy"
    if second > 12 >= first:
        return "mdy"
    return "ambiguous"


def parse_date(text: str, order: str | None) -> date:
    """ISO (2024-09-01), UK (01/09/2024) or US (9/1/24) by the file's `order`, or "1 Sep 2024"."""
    text = text.strip()
    try:
        if m := _ISO.match(text):
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if m := _NUMERIC.match(text):
            if order not in ("dmy", "mdy"):
                raise CellError("Say whether the file's dates are day/month or month/day.")
            a, b, year = int(m.group(1)), int(m.group(2)), m.group(3)
            day, month = (a, b) if order == "dmy" else (b, a)
            # Two-digit years as spreadsheets read them: 00–69 this century, 70–99 the last.
            full = int(year) if len(year) == 4 else (2000 + int(year) if int(year) < 70 else 1900 + int(year))
            return date(full, month, day)
    except ValueError as exc:
        if isinstance(exc, CellError):
            raise
        raise CellError(f"“{text}” is not a date that exists.") from None
    for pattern in _WORDY:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise CellError(f"“{text}” is not a date: use 2024-09-01 or 01/09/2024.")


_MONEY = re.compile(r"^\d+(?:\.\d+)?$")


def parse_cost(text: str) -> Decimal:
    """£1,234.50, $1234.5, 1 234,50 €, 1.234,50: symbols and thousands separators go; the last
    separator followed by one or two digits is the decimal point."""
    cleaned = re.sub(r"[£$€\s\u00a0]|GBP|EUR|USD", "", text.strip(), flags=re.IGNORECASE)
    negative = cleaned.startswith("-")
    cleaned = cleaned.lstrip("-")
    decimal_at = max(cleaned.rfind("."), cleaned.rfind(","))
    if decimal_at != -1 and len(cleaned) - decimal_at - 1 in (1, 2):
        whole, fraction = cleaned[:decimal_at], cleaned[decimal_at + 1:]
        cleaned = whole.replace(",", "").replace(".", "") + "." + fraction
    else:
        cleaned = cleaned.replace(",", "").replace(".", "") if cleaned.count(",") + cleaned.count(".") > 1 \
            or "," in cleaned else cleaned
    if negative or not _MONEY.match(cleaned):
        raise CellError(f"“{text}” is not an amount of money.")
    try:
        value = Decimal(cleaned).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise CellError(f"“{text}” is not an amount of money.") from None
    if value >= Decimal("100000000"):
        raise CellError(f"“{text}” is more than a device costs.")
    return value


TRUE = {"true", "yes", "y", "1", "on", "t"}
FALSE = {"false", "no", "n", "0", "off", "f"}


def parse_bool(text: str) -> bool | None:
    """TRUE/yes/NO/1/0; blank is "not recorded"."""
    key = text.strip().lower()
    if not key:
        return None
    if key in TRUE:
        return True
    if key in FALSE:
        return False
    raise CellError(f"“{text}” is not yes or no.")


# Snipe-IT's status labels (each install names its own; these are its defaults and the usual ones).
_STATUS_WORDS = {
    "ready to deploy": "in_stock", "pending": "in_stock", "in stock": "in_stock", "spare": "in_stock",
    "deployable": "in_stock", "deployed": "deployed", "in use": "deployed", "assigned": "deployed",
    "archived": "retired", "retired": "retired", "undeployable": "in_repair", "broken": "in_repair",
    "pending diagnostics": "in_repair", "out for repair": "in_repair", "in repair": "in_repair",
    "out for diagnostics": "in_repair", "lost": "lost_stolen", "stolen": "lost_stolen",
    "lost/stolen": "lost_stolen", "lost or stolen": "lost_stolen", "disposed": "disposed",
    "destroyed": "disposed", "recycled": "disposed",
}


def _choice(text: str, options: dict[str, str], extra: dict[str, str], what: str) -> str:
    key = " ".join(text.split()).lower()
    for value, label in options.items():
        if key in (value, label.lower()):
            return value
    if key in extra:
        return extra[key]
    raise CellError(f"“{text}” is not {what}: use one of {', '.join(options.values())}.")


def parse_status(text: str) -> str:
    return _choice(text, STATUSES, _STATUS_WORDS, "a status")


def parse_funding(text: str) -> str:
    return _choice(text, FUNDING, {}, "a funding source")


def parse_disposal(text: str) -> str:
    return _choice(text, DISPOSAL_METHODS, {}, "a disposal method")


def parse_months(text: str) -> int:
    m = re.match(r"^(\d{1,3})(?:\s*months?)?$", text.strip(), re.IGNORECASE)
    if not m:
        raise CellError(f"“{text}” is not a number of months.")
    return int(m.group(1))


def typed_custom(text: str, kind: str, order: str | None):
    """A custom field's value as its category declares it (text when it declares nothing)."""
    if kind == "number":
        try:
            number = Decimal(text.replace(",", ""))
        except InvalidOperation:
            raise CellError(f"“{text}” is not a number.") from None
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == "boolean":
        return parse_bool(text)
    if kind == "date":
        return parse_date(text, order).isoformat()
    return text
