"""Importing a register file: upload → preview → commit, the commit as a job on the `imports` queue.

The preview and the commit run the same `plan()`: the commit plans again against the register
as it is when the job runs, so nothing the preview promised is written over a change made since.
A file with bad rows writes nothing unless the person chose "import the valid rows"; a failure
midway writes nothing at all, because the whole commit is one transaction (the job's own, which
`run_task` commits once). One transaction rather than a batch-by-batch commit with a cleanup:
a cleanup would have to restore the rows an update changed, and a crash during it would leave
exactly the half-import it exists to prevent. Progress is written beside it, on a connection of
its own, so the page's bar moves while the transaction is still open.

Rules a person should know:
- a row matches an asset by tag, else by serial number and manufacturer; a blank cell leaves the
  asset's value as it is (clear a field on the asset's page);
- an import never moves a device between schools (that is a transfer, with a reason);
- an unknown category is an error naming the row, unless a trust role that may change the
  trust's settings chose "create missing categories" (they get the trust's "Other" life and cost);
- a person is matched by email among the school's people; one who is not found leaves the device
  unassigned, with a warning naming the row.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import or_, select

from services.assets import categories as category_service
from services.assets import csvfile, lifecycle
from services.assets.errors import AssetError
from services.assets.import_columns import (
    DATE_FIELDS,
    CellError,
    custom_key,
    date_evidence,
    field_of,
    parse_bool,
    parse_cost,
    parse_date,
    parse_disposal,
    parse_funding,
    parse_months,
    parse_status,
    typed_custom,
)
from services.assets.models import Asset, ImportRun, Location
from services.directory.models import Membership, School, User
from trust_it.extensions import db
from trust_it.tenancy import unscoped

MAX_BYTES = 50 * 1024 * 1024
MAX_LISTED = 500           # errors and warnings kept on the preview; the counts are exact
TEXT_LIMITS = {"tag": 40, "serial": 100, "manufacturer": 100, "model": 150, "model_number": 100, "name": 150,
               "os": 60, "os_version": 60, "supplier": 150, "order_number": 100, "wipe_certificate": 120}
# Columns an asset row carries from a file (the rest are derived or kept as they are).
WRITTEN = ("tag", "serial", "manufacturer", "manufacturer_key", "model", "model_number", "name", "category_id",
           "os", "os_version", "status", "assigned_user_id", "location_id", "purchased_on", "supplier",
           "order_number", "cost", "funding", "warranty_ends_on", "end_of_life_on", "replacement_due_on",
           "disposed_on", "disposal_method", "wipe_certificate", "encrypted", "notes", "custom")


@dataclass
class Plan:
    """What a file would do: rows to create and update, and every problem found, by line and column."""
    creates: list[dict] = field(default_factory=list)
    updates: list[dict] = field(default_factory=list)
    unchanged: int = 0
    rows: int = 0
    errors: list[list] = field(default_factory=list)     # [line, column name, column letter, reason]
    error_count: int = 0
    bad_lines: set = field(default_factory=set)
    warnings: list[list] = field(default_factory=list)
    warning_count: int = 0
    file_error: str = ""
    date_order: str | None = None      # "dmy"/"mdy" when decided; None when no date needs it
    date_order_needed: bool = False    # the file's dates could be either: the person must say
    date_examples: list[str] = field(default_factory=list)
    columns: list[list[str]] = field(default_factory=list)   # [header, what it becomes]
    encoding: str = ""
    delimiter: str = ""
    new_categories: list[str] = field(default_factory=list)

    def error(self, line: int, header: str, index: int | None, reason: str) -> None:
        self.error_count += 1
        self.bad_lines.add(line)
        if len(self.errors) < MAX_LISTED:
            self.errors.append([line, header, csvfile.column_name(index) if index is not None else "", reason])

    def warn(self, line: int, header: str, index: int | None, reason: str) -> None:
        self.warning_count += 1
        if len(self.warnings) < MAX_LISTED:
            self.warnings.append([line, header, csvfile.column_name(index) if index is not None else "", reason])

    def summary(self) -> dict:
        return {"rows": self.rows, "create": len(self.creates), "update": len(self.updates),
                "unchanged": self.unchanged, "errors": self.errors, "error_count": self.error_count,
                "bad_rows": len(self.bad_lines), "warnings": self.warnings, "warning_count": self.warning_count,
                "file_error": self.file_error, "date_order": self.date_order,
                "date_order_needed": self.date_order_needed, "date_examples": self.date_examples,
                "columns": self.columns, "encoding": self.encoding, "delimiter": self.delimiter,
                "new_categories": self.new_categories}


# --- the pages' and the API's entry points ------------------------------------------------------

def upload(*, trust_id: int, school: School | None, filename: str, content: bytes, by: User | None,
           today: date, create_categories: bool = False) -> ImportRun:
    """Keep the file and its preview (flushes, never commits). `school` None: a trust-wide file."""
    if not content:
        raise AssetError("Choose a CSV file to upload.", "file")
    if len(content) > MAX_BYTES:
        raise AssetError("The file is larger than 50 MB: split it into smaller files.", "file")
    run = ImportRun(trust_id=trust_id, school_id=school.id if school else None, filename=(filename or "file.csv")[:200],
                    content=content, actor_id=getattr(by, "id", None), create_categories=create_categories,
                    preview={})
    db.session.add(run)
    db.session.flush()
    refresh_preview(run, today=today)
    return run


def refresh_preview(run: ImportRun, *, today: date) -> Plan:
    plan = make_plan(run, today=today)
    run.preview = plan.summary()
    run.total = len(plan.creates) + len(plan.updates)
    db.session.flush()
    return plan


def commit(run: ImportRun, *, date_order: str | None, valid_rows_only: bool, today: date) -> ImportRun:
    """Check the person's choices against the preview and queue the job (after the request commits)."""
    from trust_it import jobs

    if run.status != "previewed":
        raise AssetError("This file has already been imported.", "file")
    if date_order in ("dmy", "mdy"):
        run.date_order = date_order
    plan = refresh_preview(run, today=today)
    if plan.file_error:
        raise AssetError(plan.file_error, "file")
    if plan.date_order_needed and run.date_order is None:
        raise AssetError("Say whether the file's dates are day/month or month/day.", "date_order")
    if plan.error_count and not valid_rows_only:
        raise AssetError(f"{plan.error_count} problems in {len(plan.bad_lines)} rows: fix the file, or choose "
                         "to import the valid rows only.", "valid_rows_only")
    if not plan.creates and not plan.updates:
        raise AssetError("Nothing in the file would change the register.", "file")
    run.valid_rows_only = valid_rows_only
    run.status = "queued"
    db.session.flush()
    jobs.enqueue("services.assets.importer:run_import", run.id, queue="imports", after_commit=True, retries=0,
                 timeout=1800, for_trust=run.trust_id, today=today.isoformat())
    return run


# --- planning ---------------------------------------------------------------------------------

@dataclass
class _Context:
    trust_id: int
    school: School | None
    schools: dict
    categories: dict
    category_life: dict
    people: dict
    rooms: dict
    may_create_categories: bool
    custom_types: dict          # category id → {column key: (field key, type)}


def make_plan(run: ImportRun, *, today: date) -> Plan:
    plan = Plan()
    try:
        table = csvfile.read(run.content)
    except AssetError as exc:
        plan.file_error = exc.message
        return plan
    plan.encoding, plan.delimiter = table.encoding, {",": "comma", ";": "semicolon", "\t": "tab"}[table.delimiter]
    columns = _columns(table.header, plan)
    if plan.file_error:
        return plan
    rows = list(table.rows)
    plan.rows = len(rows)
    if not rows:
        plan.file_error = "The file has a header row but no rows of assets."
        return plan
    _decide_date_order(rows, columns, run.date_order, plan)
    context = _context(run)
    names = {t: table.header[i] for i, t in columns.items()}   # shared by every row: for error messages
    indexes = {t: i for i, t in columns.items()}
    parsed = []
    for line, cells in rows:
        values = _read_row(line, cells, columns, table.header, plan, names, indexes)
        if values is not None:
            parsed.append((line, values))
    del rows
    _match_and_build(parsed, context, plan, today)
    return plan


def _columns(header: list[str], plan: Plan) -> dict[int, str]:
    """Column index → field ("custom:key" for custom fields); a clear error for empty or doubled names."""
    empty = [csvfile.column_name(i) for i, name in enumerate(header) if not name]
    seen: dict[str, int] = {}
    doubled = []
    for i, name in enumerate(header):
        key = " ".join(name.split()).lower()
        if key and key in seen:
            doubled.append(f"“{name}” (columns {csvfile.column_name(seen[key])} and {csvfile.column_name(i)})")
        seen.setdefault(key, i)
    if empty and any(header):
        plural = len(empty) > 1
        plan.file_error = (f"Column{'s' if plural else ''} {', '.join(empty)} {'have' if plural else 'has'} no name "
                           "in the header row: name every column, or delete the empty ones.")
        return {}
    if doubled:
        plan.file_error = "The header row names a column twice: " + "; ".join(doubled) + ". Rename or remove one."
        return {}
    columns: dict[int, str] = {}
    taken: dict[str, str] = {}
    for i, name in enumerate(header):
        known = field_of(name)
        if known == "":
            plan.columns.append([name, "ignored"])
            continue
        target = known or "custom:" + custom_key(name)
        if target in taken:  # "Model Name" and "Model" both: the first wins, as in Snipe-IT
            plan.columns.append([name, f"ignored (same as “{taken[target]}”)"])
            continue
        taken[target] = name
        columns[i] = target
        plan.columns.append([name, target])
    if "tag" not in columns.values() and "serial" not in columns.values():
        plan.file_error = "The file needs an “Asset Tag” or a “Serial Number” column to find each device by."
    return columns


def _decide_date_order(rows, columns, chosen: str | None, plan: Plan) -> None:
    date_columns = [i for i, f in columns.items() if f in DATE_FIELDS + ("purchased_on",)]
    says: set[str] = set()
    for _, cells in rows:
        for i in date_columns:
            if i < len(cells) and (evidence := date_evidence(cells[i])):
                says.add(evidence)
                if evidence == "ambiguous" and len(plan.date_examples) < 3 and cells[i] not in plan.date_examples:
                    plan.date_examples.append(cells[i].strip())
    if "dmy" in says and "mdy" not in says:
        plan.date_order = "dmy"       # a 13 or more in the first place: the file is day/month
    elif "mdy" in says and "dmy" not in says:
        plan.date_order = "mdy"
    elif says:                         # all ambiguous, or a file mixing both: the person decides
        plan.date_order_needed = True
        plan.date_order = chosen


def _read_row(line: int, cells: list[str], columns: dict[int, str], header: list[str], plan: Plan, names: dict,
              indexes: dict) -> dict | None:
    values: dict = {}
    ok = True
    for i, target in columns.items():
        text = csvfile.unneutralise(cells[i]) if i < len(cells) else ""
        if target != "notes":
            text = text.strip()
        if not text.strip():
            continue
        try:
            values[target] = _cell(target, text, plan.date_order)
        except CellError as exc:
            plan.error(line, header[i], i, str(exc))
            ok = False
    if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
        plan.error(line, "", len(header), f"The row has {len(cells)} cells but the header names {len(header)} "
                                          "columns: check for a stray delimiter.")
        ok = False
    values["_columns"] = names
    values["_index"] = indexes
    return values if ok else None


def _cell(target: str, text: str, order: str | None):
    if target in DATE_FIELDS:
        return parse_date(text, order)
    if target == "cost":
        return parse_cost(text)
    if target == "status":
        return parse_status(text)
    if target == "funding":
        return parse_funding(text)
    if target == "disposal_method":
        return parse_disposal(text)
    if target == "warranty_months":
        return parse_months(text)
    if target == "encrypted":
        return parse_bool(text)
    if target == "serial":
        text = lifecycle.serial_key(text)
    if target in TEXT_LIMITS and len(text) > TEXT_LIMITS[target]:
        raise CellError(f"Longer than {TEXT_LIMITS[target]} characters.")
    return text


def _context(run: ImportRun) -> _Context:
    trust_id = run.trust_id
    schools: dict = {}
    for school in db.session.execute(select(School).where(School.trust_id == trust_id)).scalars():
        for key in (school.name, school.slug, school.urn):
            if key:
                schools[key.strip().lower()] = school
    categories = category_service.by_name(trust_id)
    school_ids = [run.school_id] if run.school_id else [s.id for s in set(schools.values())]
    rooms = {(r.school_id, r.name.strip().lower()): r.id for r in db.session.execute(
        select(Location).where(Location.school_id.in_(school_ids))).scalars()}
    people = {}
    for user_id, email, name, school_id in db.session.execute(
            select(User.id, User.email, User.display_name, Membership.school_id)
            .join(Membership, Membership.user_id == User.id)
            .where(User.trust_id == trust_id, User.active.is_(True), Membership.school_id.in_(school_ids))):
        people[(school_id, email.lower())] = user_id
        people.setdefault((school_id, "name:" + name.strip().lower()), user_id)
    unique = {c.id: c for c in categories.values()}
    custom_types = {cid: {custom_key(f.get("label") or f["key"]): (f["key"], f.get("type", "text"))
                          for f in (c.custom_fields or []) if f.get("key")} | {
                        f["key"]: (f["key"], f.get("type", "text")) for f in (c.custom_fields or []) if f.get("key")}
                    for cid, c in unique.items()}
    lives = {cid: c.expected_life_months for cid, c in unique.items()}
    return _Context(trust_id, run.school, schools, categories, lives, people, rooms, run.create_categories,
                    custom_types)


def _existing(trust_id: int, tags: list[str], serials: list[str]) -> list:
    """The trust's assets a file's tags or serials name, in every school: a tag is unique across the
    trust, so a clash with a school the person cannot see must still be found (and is not named)."""
    found = []
    columns = [Asset.__table__.c[c] for c in ("id", "school_id", *WRITTEN)]
    with unscoped():
        for start in range(0, max(len(tags), len(serials)), 1000):
            tag_part, serial_part = tags[start:start + 1000], serials[start:start + 1000]
            found += db.session.execute(select(*columns).where(Asset.trust_id == trust_id, or_(
                Asset.tag.in_(tag_part), Asset.serial.in_(serial_part)))).mappings().all()
    return found


def _school_for(values: dict, context: _Context, line: int, plan: Plan) -> School | None:
    named = values.get("school")
    header = values["_columns"].get("school", "School")
    index = values["_index"].get("school")
    if context.school is not None:
        other = context.schools.get(named.lower()) if named else None
        if other is not None and other.id != context.school.id:
            plan.error(line, header, index, f"The row names {other.name}, but this import is into "
                                            f"{context.school.name}.")
            return None
        return context.school  # a Snipe-IT company or location that is not one of our schools: not ours to read
    if not named:
        plan.error(line, header, index, "Name the school (its name, short name or URN) in a School column.")
        return None
    school = context.schools.get(named.lower())
    if school is None:
        plan.error(line, header, index, f"“{named}” is not a school of the trust.")
    return school


def _category_id(values: dict, context: _Context, line: int, plan: Plan, existing: dict | None) -> int | None:
    name = values.get("category")
    if not name:
        if existing:
            return existing["category_id"]
        return context.categories["other"].id if "other" in context.categories else None
    category = context.categories.get(name.strip().lower())
    if category is not None:
        return category.id
    if not context.may_create_categories:
        plan.error(line, values["_columns"]["category"], values["_index"]["category"],
                   f"“{name}” is not one of the trust's categories.")
        return None
    if name not in plan.new_categories:
        plan.new_categories.append(name)
    return -1 - plan.new_categories.index(name)   # made when the commit runs


def _match_and_build(parsed: list, context: _Context, plan: Plan, today: date) -> None:
    tags = sorted({v["tag"] for _, v in parsed if v.get("tag")})
    serials = sorted({v["serial"] for _, v in parsed if v.get("serial")})
    by_tag, by_serial = {}, {}
    for row in _existing(context.trust_id, tags, serials):
        by_tag[row["tag"]] = row
        if row["serial"]:
            by_serial[(row["manufacturer_key"], row["serial"])] = row
    seen_tags, seen_serials = {}, {}
    for line, values in parsed:
        before = len(plan.bad_lines)
        tag, serial = values.get("tag"), values.get("serial")
        maker = lifecycle.manufacturer_key(values.get("manufacturer"))
        if tag and tag in seen_tags:
            plan.error(line, values["_columns"]["tag"], values["_index"]["tag"],
                       f"Tag {tag} is also on line {seen_tags[tag]}.")
            continue
        if serial and (maker, serial) in seen_serials:
            plan.error(line, values["_columns"]["serial"], values["_index"]["serial"],
                       f"Serial number {serial} is also on line {seen_serials[(maker, serial)]}.")
            continue
        if tag:
            seen_tags[tag] = line
        if serial:
            seen_serials[(maker, serial)] = line
        existing = by_tag.get(tag) if tag else None
        by_its_serial = by_serial.get((maker, serial)) if serial else None
        if existing is None:
            existing = by_its_serial if not tag or by_its_serial is None else None
            if tag and by_its_serial is not None:
                plan.error(line, values["_columns"]["serial"], values["_index"]["serial"],
                           f"Serial number {serial} belongs to asset {by_its_serial['tag']}, not {tag}.")
                continue
        elif by_its_serial is not None and by_its_serial["id"] != existing["id"]:
            plan.error(line, values["_columns"]["serial"], values["_index"]["serial"],
                       f"Serial number {serial} belongs to asset {by_its_serial['tag']}, not {tag}.")
            continue
        school = _school_for(values, context, line, plan)
        if school is None:
            continue
        if existing is not None and existing["school_id"] != school.id:
            where = "another school" if context.school is not None else "another school of the trust"
            plan.error(line, values["_columns"].get("tag") or values["_columns"]["serial"],
                       values["_index"].get("tag", values["_index"].get("serial")),
                       f"Asset {existing['tag']} is at {where}: move it with a transfer, not an import.")
            continue
        if existing is None and not tag:
            plan.error(line, values["_columns"]["serial"], values["_index"]["serial"],
                       "A new device needs an asset tag.")
            continue
        row = _row(values, existing, school, context, line, plan, today)
        if len(plan.bad_lines) > before or row is None:
            continue
        if existing is None:
            plan.creates.append(row)
        else:
            changes = {k: [_plain(existing[k]), _plain(v)] for k, v in row.items()
                       if not k.startswith("_") and existing[k] != v}
            if changes:
                plan.updates.append({**row, "id": existing["id"], "_changes": changes})
            else:
                plan.unchanged += 1


def _row(values: dict, existing: dict | None, school: School, context: _Context, line: int, plan: Plan,
         today: date) -> dict | None:
    """The asset's columns after the file: the file's values over the asset's (or the defaults)."""
    current = dict(existing) if existing else {
        "tag": None, "serial": None, "manufacturer": "", "manufacturer_key": "", "model": "", "model_number": "",
        "name": "", "category_id": None, "os": "", "os_version": "", "status": "in_stock",
        "assigned_user_id": None, "location_id": None, "purchased_on": None, "supplier": "", "order_number": "",
        "cost": None, "funding": None, "warranty_ends_on": None, "end_of_life_on": None,
        "replacement_due_on": None, "disposed_on": None, "disposal_method": None, "wipe_certificate": "",
        "encrypted": None, "notes": "", "custom": {}}
    row = {k: current[k] for k in WRITTEN}
    for key in ("tag", "serial", "manufacturer", "model", "model_number", "name", "os", "os_version", "status",
                "purchased_on", "supplier", "order_number", "cost", "funding", "warranty_ends_on",
                "end_of_life_on", "disposed_on", "disposal_method", "wipe_certificate", "encrypted", "notes"):
        if key in values:
            row[key] = values[key]
    row["manufacturer_key"] = lifecycle.manufacturer_key(row["manufacturer"])
    row["category_id"] = _category_id(values, context, line, plan, existing)
    if row["category_id"] is None:
        return None
    if "warranty_months" in values:
        if row["purchased_on"] is None:
            plan.error(line, values["_columns"]["warranty_months"], values["_index"]["warranty_months"],
                       "A warranty in months needs a purchase date.")
            return None
        row["warranty_ends_on"] = lifecycle.add_months(row["purchased_on"], values["warranty_months"])
    if "room" in values:
        room = context.rooms.get((school.id, values["room"].lower()))
        if room is None:
            plan.error(line, values["_columns"]["room"], values["_index"]["room"],
                       f"{school.name} has no room called “{values['room']}”: add it first.")
            return None
        row["location_id"] = room
    person = _person(values, school, context, line, plan)
    if person:
        row["assigned_user_id"] = person
        if "status" not in values and row["status"] == "in_stock":
            row["status"] = "deployed"
    custom = dict(current["custom"] or {})
    declared = context.custom_types.get(row["category_id"], {})
    for target, value in values.items():
        if not target.startswith("custom:"):
            continue
        key, kind = declared.get(target[7:], (target[7:], "text"))
        try:
            custom[key] = typed_custom(value, kind, plan.date_order)
        except CellError as exc:
            plan.error(line, values["_columns"][target], values["_index"][target], str(exc))
            return None
    row["custom"] = custom
    life = context.category_life.get(row["category_id"])
    row["replacement_due_on"] = lifecycle.replacement_due(row["purchased_on"], life, row["end_of_life_on"])
    row["_school_id"] = school.id
    row["_line"] = line
    return row


def _person(values: dict, school: School, context: _Context, line: int, plan: Plan) -> int | None:
    for key in ("email", "username", "full_name"):
        text = values.get(key)
        if not text:
            continue
        lookup = text.lower() if key != "full_name" else "name:" + text.lower()
        if key == "username" and "@" not in text:
            continue  # a Snipe-IT username is not an email: the email or name column says who
        found = context.people.get((school.id, lookup))
        if found:
            return found
        plan.warn(line, values["_columns"][key], values["_index"][key],
                  f"{text} is not one of {school.name}'s people: the device is left unassigned.")
        return None
    return None


def _plain(value):
    if isinstance(value, (date, Decimal)):
        return str(value)
    return value


# --- the job ----------------------------------------------------------------------------------

def run_import(run_id: int, today: str) -> None:
    """The commit, on the `imports` queue. Runs unscoped (as every job); every query names the trust."""
    from services.assets import import_writer

    run = db.session.execute(select(ImportRun).where(ImportRun.id == run_id)).scalar_one_or_none()
    if run is None or run.status not in ("queued",):
        return
    import_writer.write(run, today=date.fromisoformat(today))


def recent(trust_id: int, school_id: int | None, limit: int = 10) -> list[ImportRun]:
    stmt = select(ImportRun).where(ImportRun.trust_id == trust_id).order_by(ImportRun.id.desc()).limit(limit)
    stmt = stmt.where(ImportRun.school_id == school_id) if school_id else stmt.where(ImportRun.school_id.is_(None))
    return list(db.session.execute(stmt).scalars())
