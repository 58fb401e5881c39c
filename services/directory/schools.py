"""Schools of a trust, their calendars, and loading them from GIAS."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, time

from sqlalchemy import case, select

from services.audit import log
from services.directory.errors import DirectoryError
from services.directory.models import CLOSURE_KINDS, PHASES, SUPPORT_MODELS, Closure, School, Term, Trust, WorkingHours
from trust_it.extensions import db
from trust_it.tenancy import unscoped

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$")
DOMAIN = re.compile(r"^(?:[a-z0-9-]+\.)+[a-z]{2,}$")
DEFAULT_HOURS = (time(8, 0), time(16, 30))


# Letters NFKD does not take apart; apostrophes join a word rather than split it ("St Mary's").
_SPELLED_OUT = str.maketrans({"æ": "ae", "œ": "oe", "ø": "o", "ß": "ss", "ð": "d", "đ": "d", "þ": "th", "ł": "l",
                              "ı": "i", "'": "", "’": "", "‘": "", "`": ""})


def slugify(name: str) -> str:
    """`St Æthelred's Church of England School` → `st-aethelreds-church-of-england-school`."""
    letters = unicodedata.normalize("NFKD", name.lower().translate(_SPELLED_OUT))
    ascii_name = "".join(c for c in letters if not unicodedata.combining(c))
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name).strip("-")
    return slug[:60].rstrip("-") or "school"


def _taken(column, value) -> int | None:
    """Slugs, URNs and prefixes are unique across the deployment, so look beyond the caller's trust."""
    with unscoped():
        return db.session.execute(select(School.id).where(column == value)).scalar()


def _unique_slug(base: str) -> str:
    slug, n = base, 2
    while _taken(School.slug, slug):
        slug, n = f"{base[:55]}-{n}", n + 1
    return slug


def _unique_prefix(slug: str) -> str:
    letters = re.sub(r"[^a-z]", "", slug).upper() or "SCH"
    base = letters[:3].ljust(3, "X")
    prefix, n = base, 2
    while _taken(School.ticket_prefix, prefix):
        prefix, n = f"{base}{n}", n + 1
    return prefix


def validate_fields(values: dict, *, school: School | None = None, trust_id: int | None = None) -> dict:
    """Check a school's fields; returns cleaned values, or raises one DirectoryError that names
    every wrong field (`.errors`), so a form shows all its mistakes at once. `trust_id` is the
    trust of the school being added (an edited school names its own)."""
    clean = dict(values)
    problems: dict[str, str] = {}

    def fail(field: str, message: str) -> None:
        problems.setdefault(field, message)

    if "name" in clean:
        clean["name"] = (clean["name"] or "").strip()
        if not clean["name"]:
            fail("name", "Enter the school's name.")
    if "slug" in clean and not (clean["slug"] or "").strip():
        clean["slug"] = None if school is None else school.slug  # blank: keep, or derive from the name
    if clean.get("slug") is not None:
        clean["slug"] = clean["slug"].strip().lower()
        taken = _taken(School.slug, clean["slug"])
        if not SLUG.match(clean["slug"]):
            fail("slug", "The web address name may use lower-case letters, digits and hyphens.")
        elif taken and (school is None or taken != school.id):
            fail("slug", f"The web address name “{clean['slug']}” is already taken.")
    if clean.get("urn"):
        clean["urn"] = str(clean["urn"]).strip()
        if not re.fullmatch(r"\d{6}", clean["urn"]):
            fail("urn", "A URN is 6 digits, as GIAS shows it.")
        else:
            taken = _taken(School.urn, clean["urn"])
            if taken and (school is None or taken != school.id):
                fail("urn", f"URN {clean['urn']} belongs to another school.")
    elif "urn" in clean:
        clean["urn"] = None
    if clean.get("la_estab"):
        clean["la_estab"] = str(clean["la_estab"]).strip()
        if not re.fullmatch(r"\d{7}", clean["la_estab"]):
            fail("la_estab", "LAEstab is 7 digits: the LA code then the establishment number.")
    elif "la_estab" in clean:
        clean["la_estab"] = None
    if "phase" in clean and clean["phase"] not in PHASES:
        fail("phase", f"Phase must be one of GIAS's phases: {', '.join(PHASES)}.")
    if "support_model" in clean and clean["support_model"] not in SUPPORT_MODELS:
        fail("support_model", "Choose in-house, MSP or trust central support.")
    if clean.get("pupils") is not None:
        try:
            clean["pupils"] = int(clean["pupils"])
            if not 0 <= clean["pupils"] <= 100_000:
                fail("pupils", "Number of pupils must be between 0 and 100,000.")
        except (TypeError, ValueError):
            fail("pupils", "Number of pupils must be a whole number.")
    if "email_domains" in clean:
        domains = clean["email_domains"]
        if isinstance(domains, str):
            domains = re.split(r"[,;\n]+", domains)  # a stray space inside a domain is an error, not a split
        domains = [d.strip().lower().lstrip("@") for d in domains or [] if d and d.strip()]
        bad = [d for d in domains if not DOMAIN.match(d)]
        if bad:
            fail("email_domains", f"“{bad[0]}” is not an email domain like oakwood.sch.uk.")
        else:
            owner = _domain_owner(domains, school, school.trust_id if school is not None else trust_id)
            if owner:
                fail("email_domains", f"{owner[0]} already belongs to {owner[1]}: a domain decides a person's "
                                      "school at sign-in, so it can belong to one school only.")
        clean["email_domains"] = sorted(set(domains))
    if "timezone" in clean:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
        try:
            ZoneInfo(clean["timezone"])
        except (ZoneInfoNotFoundError, ValueError):
            fail("timezone", f"“{clean['timezone']}” is not a time zone.")
    if problems:
        field, message = next(iter(problems.items()))
        error = DirectoryError(message, field)
        error.errors = problems
        raise error
    return clean


def _domain_owner(domains: list[str], school: School | None, trust_id: int | None) -> tuple[str, str] | None:
    """(domain, owner) of a domain another school already has, across the deployment. The owner is
    named only within the same trust: another trust's school names are not ours to show."""
    if not domains:
        return None
    name_if_ours = case((School.trust_id == trust_id, School.name), else_=None)
    with unscoped():
        rows = db.session.execute(select(School.id, name_if_ours, School.email_domains)).all()
    for sid, name, theirs in rows:
        if school is not None and sid == school.id:
            continue
        clash = set(domains) & set(theirs or [])
        if clash:
            return sorted(clash)[0], name or "a school of another trust"
    return None


def create_school(trust: Trust, *, by=None, **values) -> School:
    """Add a school to a trust (the caller has checked the person may). Runs unscoped: until it
    exists the new school is in nobody's scope, and row-level security would refuse its rows."""
    with unscoped():
        return _create_school(trust, by=by, **values)


def _create_school(trust: Trust, *, by=None, **values) -> School:
    values.setdefault("slug", None)
    clean = validate_fields({"phase": "Primary", "support_model": "in_house", "email_domains": [],
                             "timezone": "Europe/London", **values}, trust_id=trust.id)
    if not clean.get("slug"):
        clean["slug"] = _unique_slug(slugify(clean["name"]))
    clean["ticket_prefix"] = _unique_prefix(clean["slug"])
    school = School(trust_id=trust.id, **clean)
    db.session.add(school)
    db.session.flush()
    for weekday in range(5):
        db.session.add(WorkingHours(school_id=school.id, weekday=weekday, opens=DEFAULT_HOURS[0],
                                    closes=DEFAULT_HOURS[1]))
    db.session.flush()
    log.record("school.created", f"School {school.name} added", actor=by, school=school, trust_id=trust.id)
    return school


def update_school(school: School, *, by=None, **values) -> School:
    clean = validate_fields(values, school=school)
    changed = {k: v for k, v in clean.items() if getattr(school, k) != v}
    for key, value in changed.items():
        setattr(school, key, value)
    db.session.flush()
    if changed:
        log.record("school.updated", f"School {school.name} changed: {', '.join(sorted(changed))}",
                   actor=by, school=school, detail={k: str(v) for k, v in changed.items()})
    return school


def schools_of_trust(trust_id: int) -> list[School]:
    return list(db.session.execute(
        select(School).where(School.trust_id == trust_id).order_by(School.name)).scalars())


def school_by_slug(slug: str) -> School | None:
    return db.session.execute(select(School).where(School.slug == slug)).scalar_one_or_none()


# --- calendar -------------------------------------------------------------------------------

def _calendar_changed(school: School) -> None:
    """Open tickets' SLA moments follow the new calendar (a snow day added today moves tomorrow's due times)."""
    from services.desk.sla import forget_calendars
    from trust_it import jobs
    forget_calendars()
    jobs.enqueue("services.desk.settings:retarget_open", school.trust_id, school_id=school.id, after_commit=True,
                 for_trust=school.trust_id, job_id=None)


def set_working_hours(school: School, hours: dict[int, tuple[time, time] | None], *, by=None) -> None:
    """Replace the week's hours; None for a weekday means closed that day."""
    for weekday, span in hours.items():
        if span and span[0] >= span[1]:
            raise DirectoryError(f"On {_weekday(weekday)} the school must open before it closes.",
                                 f"hours_{weekday}")
    existing = {h.weekday: h for h in db.session.execute(
        select(WorkingHours).where(WorkingHours.school_id == school.id)).scalars()}
    for weekday, span in hours.items():
        row = existing.get(weekday)
        if span is None and row:
            db.session.delete(row)
        elif span and row:
            row.opens, row.closes = span
        elif span:
            db.session.add(WorkingHours(school_id=school.id, weekday=weekday, opens=span[0], closes=span[1]))
    db.session.flush()
    _calendar_changed(school)
    log.record("calendar.hours", f"Working hours of {school.name} changed", actor=by, school=school)


def _weekday(n: int) -> str:
    from services.directory.models import WEEKDAYS
    return WEEKDAYS[n]


def add_term(school: School, *, name: str, starts_on: date, ends_on: date, by=None) -> Term:
    if not (name or "").strip():
        raise DirectoryError("Name the term, e.g. Autumn 1.", "name")
    if ends_on < starts_on:
        raise DirectoryError("A term must end on or after the day it starts.", "ends_on")
    overlap = db.session.execute(select(Term).where(
        Term.school_id == school.id, Term.starts_on <= ends_on, Term.ends_on >= starts_on)).scalars().first()
    if overlap:
        raise DirectoryError(f"That overlaps {overlap.name} ({overlap.starts_on:%d %b %Y}–{overlap.ends_on:%d %b %Y}).",
                             "starts_on")
    term = Term(school_id=school.id, name=name.strip(), starts_on=starts_on, ends_on=ends_on)
    db.session.add(term)
    db.session.flush()
    _calendar_changed(school)
    log.record("calendar.term", f"{school.name}: term {term.name} {starts_on:%d %b %Y}–{ends_on:%d %b %Y} added",
               actor=by, school=school)
    return term


def add_closure(school: School, *, day: date, name: str, kind: str = "inset", by=None) -> Closure:
    if kind not in CLOSURE_KINDS:
        raise DirectoryError("Choose INSET day, bank holiday or closure.", "kind")
    if not (name or "").strip():
        name = CLOSURE_KINDS[kind]
    existing = db.session.execute(select(Closure).where(Closure.school_id == school.id, Closure.day == day)).scalar()
    if existing:
        raise DirectoryError(f"{day:%A %d %B %Y} is already a closure day ({existing.name}).", "day")
    closure = Closure(school_id=school.id, day=day, name=name.strip(), kind=kind)
    db.session.add(closure)
    db.session.flush()
    _calendar_changed(school)
    log.record("calendar.closure", f"{school.name}: {closure.name} on {day:%d %b %Y} added", actor=by, school=school)
    return closure


def add_bank_holidays(school: School, start: date, end: date, *, by=None) -> int:
    """Mark England-and-Wales bank holidays between two dates as closures; returns how many were new."""
    from services.directory.bank_holidays import between
    if end < start:
        raise DirectoryError("The end date must be on or after the start date.", "ends_on")
    if (end - start).days > 2 * 366:
        raise DirectoryError("Add at most two school years of bank holidays at a time.", "ends_on")
    if start.year < 1978:
        raise DirectoryError("Bank holidays are known from 1978 onwards.", "starts_on")
    have = set(db.session.execute(select(Closure.day).where(
        Closure.school_id == school.id, Closure.day.between(start, end))).scalars())
    added = 0
    for holiday in between(start, end):
        if holiday.date not in have:
            db.session.add(Closure(school_id=school.id, day=holiday.date, name=holiday.name, kind="bank_holiday"))
            added += 1
    db.session.flush()
    if added:
        _calendar_changed(school)
        log.record("calendar.closure", f"{school.name}: {added} bank holidays added", actor=by, school=school)
    return added


def delete_calendar_entry(entry, *, by=None) -> None:
    school = db.session.get(School, entry.school_id)
    what = entry.name
    db.session.delete(entry)
    db.session.flush()
    _calendar_changed(school)
    log.record("calendar.removed", f"{school.name}: {what} removed from the calendar", actor=by, school=school)


@dataclass
class Calendar:
    hours: dict[int, WorkingHours] = field(default_factory=dict)
    terms: list[Term] = field(default_factory=list)
    closures: list[Closure] = field(default_factory=list)


def calendar_of(school: School) -> Calendar:
    cal = Calendar()
    cal.hours = {h.weekday: h for h in db.session.execute(
        select(WorkingHours).where(WorkingHours.school_id == school.id)).scalars()}
    cal.terms = list(db.session.execute(
        select(Term).where(Term.school_id == school.id).order_by(Term.starts_on)).scalars())
    cal.closures = list(db.session.execute(
        select(Closure).where(Closure.school_id == school.id).order_by(Closure.day)).scalars())
    return cal
