"""Baselines and their versions: loading the shipped standards, editing through drafts, publishing, diffs.

A published version never changes. Editing a baseline works on its draft (made on first edit as a
copy of the published items); publishing the draft supersedes the version before it. Assessments
point at the items of the version they answered, so history reads as it was.
"""
from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime
from importlib import resources

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from services.standards.checks import DERIVED_KEYS
from services.standards.errors import StandardsError
from services.standards.models import (
    CHECK_KINDS,
    COMPARISONS,
    PHASES,
    SEVERITIES,
    SOURCES,
    Baseline,
    BaselineVersion,
    StandardItem,
)
from trust_it.extensions import db

# What an item is made of, in the order a diff lists changes.
ITEM_FIELDS = ("title", "requirement", "good_looks_like", "how_to_meet", "severity", "phases", "core_2030",
               "check_kind", "review_days", "unit", "thresholds", "check_key", "comparison", "threshold",
               "partly_threshold", "settings")
TEXT_LIMITS = {"code": 40, "title": 200, "unit": 20}
OWNER_TEAMS = ("technical", "it_director")
MEASURE = re.compile(r"^[a-z][a-z0-9_]{0,29}$")


# --- reading --------------------------------------------------------------------------------------

def baselines_of(trust_id: int) -> list[Baseline]:
    """The trust's baselines by title, with their versions (one query each)."""
    return list(db.session.execute(select(Baseline).where(Baseline.trust_id == trust_id)
                                   .options(selectinload(Baseline.versions)).order_by(Baseline.title)).scalars())


def get_baseline(trust_id: int, baseline_id: int) -> Baseline | None:
    return db.session.execute(select(Baseline).where(Baseline.id == baseline_id, Baseline.trust_id == trust_id)
                              ).scalar_one_or_none()


def published_version(baseline: Baseline) -> BaselineVersion | None:
    return db.session.execute(select(BaselineVersion).where(
        BaselineVersion.baseline_id == baseline.id, BaselineVersion.status == "published")).scalar_one_or_none()


def draft_of(baseline: Baseline) -> BaselineVersion | None:
    return db.session.execute(select(BaselineVersion).where(
        BaselineVersion.baseline_id == baseline.id, BaselineVersion.status == "draft")).scalar_one_or_none()


def version_by_number(baseline: Baseline, number: int) -> BaselineVersion | None:
    return db.session.execute(select(BaselineVersion).where(
        BaselineVersion.baseline_id == baseline.id, BaselineVersion.number == number)).scalar_one_or_none()


def items_of(version: BaselineVersion) -> list[StandardItem]:
    return list(db.session.execute(select(StandardItem).where(StandardItem.version_id == version.id)
                                   .order_by(StandardItem.position, StandardItem.id)).scalars())


# --- checking what an item says -------------------------------------------------------------------

def _number(data: dict, name: str, *, required: bool, minimum: float | None = None) -> float | None:
    value = data.get(name)
    if value is None or value == "":
        if required:
            raise StandardsError("Give a number.", name)
        return None
    if isinstance(value, bool):
        raise StandardsError("Give a number.", name)
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise StandardsError("Give a number.", name) from None
    if minimum is not None and value < minimum:
        raise StandardsError(f"Give a number of at least {minimum:g}.", name)
    return value


def _rule(name: str, rule) -> dict:
    if not isinstance(rule, dict):
        raise StandardsError("Each phase needs a comparison and a threshold.", "thresholds")
    comparison = rule.get("comparison", "at_least")
    if comparison not in COMPARISONS:
        raise StandardsError(f"The comparison for {name} must be one of {', '.join(COMPARISONS)}.", "thresholds")
    clean = {"comparison": comparison, "threshold": _number(rule, "threshold", required=True)}
    if rule.get("partly") is not None:
        clean["partly"] = _number(rule, "partly", required=True)
    return clean


def _rules(phase: str, rules) -> dict:
    """{measure: rule} for one phase: a measure is a short lower-case name (download, upload…)."""
    if not isinstance(rules, dict) or not rules:
        raise StandardsError("Each phase needs at least one measure with its threshold.", "thresholds")
    if any(not MEASURE.match(str(name)) for name in rules):
        raise StandardsError("Name measures in a few lower-case letters, e.g. download.", "thresholds")
    return {name: _rule(f"{phase} {name}", rule) for name, rule in rules.items()}


def clean_item(data: dict) -> dict:
    """An item's fields checked and normalised; StandardsError names the first field at fault."""
    clean = {}
    for name in ("code", "title"):
        value = (data.get(name) or "").strip()
        if not value:
            raise StandardsError("This cannot be empty.", name)
        if len(value) > TEXT_LIMITS[name]:
            raise StandardsError(f"Keep this to {TEXT_LIMITS[name]} characters.", name)
        clean[name] = value
    clean["code"] = clean["code"].upper()
    for name in ("requirement", "good_looks_like", "how_to_meet"):
        clean[name] = (data.get(name) or "").strip()
    clean["severity"] = data.get("severity") or "medium"
    if clean["severity"] not in SEVERITIES:
        raise StandardsError(f"Severity must be one of {', '.join(SEVERITIES)}.", "severity")
    phases = data.get("phases") or []
    if not isinstance(phases, list) or any(p not in PHASES for p in phases):
        raise StandardsError(f"Phases must be some of {', '.join(PHASES)} (none: every phase).", "phases")
    clean["phases"] = sorted(set(phases))
    clean["core_2030"] = bool(data.get("core_2030", False))
    kind = data.get("check_kind") or "attestation"
    if kind not in CHECK_KINDS:
        raise StandardsError(f"The check must be one of {', '.join(CHECK_KINDS)}.", "check_kind")
    clean.update(check_kind=kind, review_days=None, unit="", thresholds={}, check_key=None, comparison=None,
                 threshold=None, partly_threshold=None, settings=[])
    review = _number(data, "review_days", required=kind == "attestation", minimum=1)
    clean["review_days"] = int(review) if review is not None else None
    if kind == "measured":
        clean["unit"] = (data.get("unit") or "").strip()[:TEXT_LIMITS["unit"]]
        thresholds = data.get("thresholds")
        if not isinstance(thresholds, dict) or not thresholds:
            raise StandardsError("A measured item needs a threshold for at least one phase (or “default”).",
                                 "thresholds")
        unknown = set(thresholds) - set(PHASES) - {"default"}
        if unknown:
            raise StandardsError(f"Thresholds are per phase: {', '.join(PHASES)} or default.", "thresholds")
        clean["thresholds"] = {phase: _rules(phase, rules) for phase, rules in thresholds.items()}
    elif kind == "derived":
        if data.get("check_key") not in DERIVED_KEYS:
            raise StandardsError(f"Choose one of the computed checks: {', '.join(DERIVED_KEYS)}.", "check_key")
        clean["check_key"] = data["check_key"]
        clean["comparison"] = data.get("comparison") or "at_least"
        if clean["comparison"] not in COMPARISONS:
            raise StandardsError(f"The comparison must be one of {', '.join(COMPARISONS)}.", "comparison")
        clean["threshold"] = _number(data, "threshold", required=True)
        clean["partly_threshold"] = _number(data, "partly_threshold", required=False)
    elif kind == "setting":
        settings = data.get("settings")
        if (not isinstance(settings, list) or not settings
                or any(not isinstance(s, dict) or not s.get("key") or "expected" not in s for s in settings)):
            raise StandardsError("List the settings as key and expected value pairs.", "settings")
        clean["settings"] = [{"key": str(s["key"]), "expected": s["expected"]} for s in settings]
    return clean


# --- creating and versioning ----------------------------------------------------------------------

def _new_version(baseline: Baseline, *, by, now: datetime, note: str = "") -> BaselineVersion:
    last = max((v.number for v in baseline.versions), default=0)
    version = BaselineVersion(trust_id=baseline.trust_id, baseline=baseline, number=last + 1, status="draft",
                              change_note=note, created_at=now, created_by_id=by.id if by else None)
    db.session.add(version)
    db.session.flush()
    return version


def _add_items(version: BaselineVersion, items: list[dict]) -> None:
    codes = [i["code"] for i in items]
    duplicates = sorted({c for c in codes if codes.count(c) > 1})
    if duplicates:
        raise StandardsError(f"Item codes must be unique in a baseline: {', '.join(duplicates)}.", "code")
    db.session.add_all([StandardItem(trust_id=version.trust_id, version_id=version.id, position=position, **item)
                        for position, item in enumerate(items)])
    db.session.flush()


def create_baseline(trust_id: int, data: dict, *, by, now: datetime) -> Baseline:
    """A trust's own baseline (e.g. "staff laptop build v3") with an empty draft to add items to."""
    code = (data.get("code") or "").strip().upper()
    title = (data.get("title") or "").strip()
    if not code or len(code) > 40:
        raise StandardsError("Give a short code (up to 40 characters).", "code")
    if not title or len(title) > 200:
        raise StandardsError("Give a title (up to 200 characters).", "title")
    if db.session.execute(select(Baseline.id).where(Baseline.trust_id == trust_id, Baseline.code == code)).first():
        raise StandardsError("The trust already has a baseline with this code.", "code")
    source = data.get("source") or "trust"
    if source not in SOURCES:
        raise StandardsError(f"The source must be one of {', '.join(SOURCES)}.", "source")
    owner = data.get("owner_team") or "technical"
    if owner not in OWNER_TEAMS:
        raise StandardsError(f"The owner must be one of {', '.join(OWNER_TEAMS)}.", "owner_team")
    baseline = Baseline(trust_id=trust_id, code=code, title=title, description=(data.get("description") or ""),
                        source=source, owner_team=owner, created_at=now)
    db.session.add(baseline)
    db.session.flush()
    _new_version(baseline, by=by, now=now)
    return baseline


def draft_version(baseline: Baseline, *, by, now: datetime) -> BaselineVersion:
    """The baseline's draft, made on first use as a copy of the published version's items."""
    draft = draft_of(baseline)
    if draft is not None:
        return draft
    published = published_version(baseline)
    draft = _new_version(baseline, by=by, now=now)
    if published is not None:
        _add_items(draft, [{name: getattr(item, name) for name in ("code", *ITEM_FIELDS)}
                           for item in items_of(published)])
    return draft


def _draft_item(draft: BaselineVersion, code: str) -> StandardItem:
    item = db.session.execute(select(StandardItem).where(StandardItem.version_id == draft.id,
                                                         StandardItem.code == code.upper())).scalar_one_or_none()
    if item is None:
        raise StandardsError("The baseline has no item with this code.", "code")
    return item


def add_item(baseline: Baseline, data: dict, *, by, now: datetime) -> StandardItem:
    """Add an item to the baseline's draft (making the draft if there is none)."""
    clean = clean_item(data)
    draft = draft_version(baseline, by=by, now=now)
    if any(i.code == clean["code"] for i in items_of(draft)):
        raise StandardsError("The baseline already has an item with this code.", "code")
    item = StandardItem(trust_id=draft.trust_id, version_id=draft.id, position=len(items_of(draft)), **clean)
    db.session.add(item)
    db.session.flush()
    return item


def update_item(baseline: Baseline, code: str, changes: dict, *, by, now: datetime) -> StandardItem:
    """Change an item in the draft: the published version stays as it was until the draft is published."""
    draft = draft_version(baseline, by=by, now=now)
    item = _draft_item(draft, code)
    current = {name: getattr(item, name) for name in ("code", *ITEM_FIELDS)}
    if "partly" in changes and "partly_threshold" not in changes:
        changes = {**changes, "partly_threshold": changes["partly"]}
    clean = clean_item({**current, **changes, "code": item.code})
    for name in ITEM_FIELDS:
        setattr(item, name, clean[name])
    db.session.flush()
    return item


def remove_item(baseline: Baseline, code: str, *, by, now: datetime) -> None:
    draft = draft_version(baseline, by=by, now=now)
    db.session.delete(_draft_item(draft, code))
    db.session.flush()


def publish(version: BaselineVersion, *, by, now: datetime, note: str = "") -> BaselineVersion:
    """Publish a draft: it becomes the version schools are held to, and the one before is superseded.

    Conformance for the new items is written by the next `conformance.refresh` (call it after)."""
    if version.status != "draft":
        raise StandardsError("Only a draft can be published.", "version")
    if not items_of(version):
        raise StandardsError("A version needs at least one item.", "items")
    previous = published_version(version.baseline)
    if previous is not None:
        previous.status = "superseded"
        db.session.flush()  # one published version per baseline at any moment
    version.status = "published"
    version.published_at = now
    version.published_by_id = by.id if by else None
    if note:
        version.change_note = note.strip()
    db.session.flush()
    return version


def diff(old: BaselineVersion, new: BaselineVersion) -> dict:
    """What changed from `old` to `new`: {"added": [code], "removed": [code],
    "changed": [{"code", "title", "fields": {field: {"before", "after"}}}]} — codes in item order."""
    before = {i.code: i for i in items_of(old)}
    after = {i.code: i for i in items_of(new)}
    changed = []
    for code, item in after.items():
        if code not in before:
            continue
        fields = {name: {"before": getattr(before[code], name), "after": getattr(item, name)}
                  for name in ITEM_FIELDS if getattr(before[code], name) != getattr(item, name)}
        if fields:
            changed.append({"code": code, "title": item.title, "fields": fields})
    return {"from": old.number, "to": new.number, "added": [c for c in after if c not in before],
            "removed": [c for c in before if c not in after], "changed": changed}


# --- the shipped standards ------------------------------------------------------------------------

def shipped() -> list[dict]:
    """The baselines shipped with trust-it (services/standards/data/baselines.json)."""
    text = resources.files("services.standards").joinpath("data/baselines.json").read_text(encoding="utf-8")
    return json.loads(text)["baselines"]


def _digest(entry: dict) -> str:
    return hashlib.sha256(json.dumps(entry, sort_keys=True).encode()).hexdigest()


def _shipped_items(entry: dict) -> list[dict]:
    items = []
    for raw in entry["items"]:
        data = {**raw, "partly_threshold": raw.get("partly")}
        data.pop("partly", None)
        items.append(clean_item(data))
    return items


def load_shipped(trust_id: int, *, now: datetime, by=None, entries: list[dict] | None = None) -> dict[str, str]:
    """Load the shipped baselines into a trust: {code: "created" | "unchanged" | "version N"}.

    Loading again changes nothing; a shipped file that changed since the last load becomes a new
    published version (superseding the one before), so assessments made against the old items stay
    with them. A draft the trust was editing is left alone."""
    entries = shipped() if entries is None else entries
    existing = {b.code: b for b in baselines_of(trust_id)}
    outcome = {}
    for entry in entries:
        digest = _digest(entry)
        baseline = existing.get(entry["code"])
        if baseline is not None and baseline.shipped_digest == digest:
            outcome[entry["code"]] = "unchanged"
            continue
        items = _shipped_items(entry)
        if baseline is None:
            baseline = Baseline(trust_id=trust_id, code=entry["code"], created_at=now)
            db.session.add(baseline)
            note, outcome[entry["code"]] = "Loaded from the standards shipped with trust-it.", "created"
        else:
            note = "Updated from the standards shipped with trust-it."
        baseline.title = entry["title"]
        baseline.description = entry.get("description", "")
        baseline.source = entry.get("source", "trust")
        baseline.owner_team = entry.get("owner_team", "technical")
        baseline.shipped_digest = digest
        db.session.flush()
        version = BaselineVersion(trust_id=trust_id, baseline=baseline,
                                  number=max((v.number for v in baseline.versions), default=0) + 1,
                                  status="draft", created_at=now, created_by_id=by.id if by else None)
        db.session.add(version)
        db.session.flush()
        _add_items(version, items)
        publish(version, by=by, now=now, note=note)
        outcome.setdefault(entry["code"], f"version {version.number}")
    return outcome
