"""A school's answers about the items it is held to: attestations, measured values, not applicable.

Each answer is a new `Assessment` row (the history is never rewritten) against an item of the
published version; the school's conformance for that item is refreshed at once. Derived and
setting items are computed, never typed in: only "not applicable" (with a reason) may be recorded
for them.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from services.desk import attachments as files
from services.desk.errors import DeskError
from services.standards import conformance
from services.standards.checks import evaluate_measured, measures_of
from services.standards.errors import StandardsError
from services.standards.models import Assessment, BaselineVersion, StandardItem
from services.standards.phases import phase_of
from trust_it.extensions import db

ATTESTED = ("met", "partly_met", "not_met")


def item_for(school, item_id) -> StandardItem:
    """A published item of the school's trust that applies to its phase, or StandardsError on item_id."""
    item = db.session.execute(
        select(StandardItem).join(BaselineVersion, BaselineVersion.id == StandardItem.version_id)
        .where(StandardItem.id == item_id, StandardItem.trust_id == school.trust_id,
               BaselineVersion.status == "published")).scalar_one_or_none()
    if item is None:
        raise StandardsError("No such item in the trust's published standards.", "item_id")
    return item


def _check_applies(school, item: StandardItem) -> None:
    if not item.applies_to(phase_of(school)):
        raise StandardsError("This item does not apply to the school's phase.", "item_id")


def _expiry(item: StandardItem, now: datetime) -> datetime | None:
    return now + timedelta(days=item.review_days) if item.review_days else None


def _has_file(attachment) -> bool:
    return attachment is not None and bool(getattr(attachment, "filename", "") or isinstance(attachment, files.Upload))


def _attach(school, attachment) -> dict:
    """Check and store an evidence file as the desk stores attachments; its columns for the row."""
    if not _has_file(attachment):
        return {}
    try:
        upload = files.check_upload(attachment)
    except DeskError as exc:
        raise StandardsError(exc.message, "attachment") from None
    files.store(school.id, upload)
    return {"attachment_filename": upload.filename, "attachment_content_type": upload.content_type,
            "attachment_size": len(upload.content), "attachment_sha256": upload.sha256}


def _save(school, item: StandardItem, *, by, now: datetime, **values) -> Assessment:
    assessment = Assessment(school_id=school.id, item_id=item.id, assessed_by_id=by.id if by else None,
                            assessed_at=now, source="person", **values)
    db.session.add(assessment)
    db.session.flush()
    conformance.refresh(school.trust_id, [school.id], now=now, item_ids=[item.id])
    return assessment


def record_attestation(school, item: StandardItem, *, status: str, evidence: str, by, now: datetime,
                       attachment=None) -> Assessment:
    """A person confirms an item (met, partly met or not met) with evidence, valid for the item's
    review interval: `expires_at` = now + review_days, after which the item shows as expired."""
    _check_applies(school, item)
    if item.check_kind != "attestation":
        raise StandardsError("This item is not confirmed by a person: record a value or mark it not applicable.",
                             "status")
    if status not in ATTESTED:
        raise StandardsError("Choose met, partly met or not met.", "status")
    evidence = (evidence or "").strip()
    if status != "not_met" and not evidence and not _has_file(attachment):
        raise StandardsError("Say what shows this, or attach the evidence.", "evidence")
    return _save(school, item, by=by, now=now, status=status, evidence=evidence, expires_at=_expiry(item, now),
                 **_attach(school, attachment))


def _measured_values(item: StandardItem, value, values) -> dict[str, float]:
    """{measure: value} from `values`, or from a lone `value` when the item has one measure."""
    measures = measures_of(item)
    field = "value" if len(measures) == 1 else "values"
    if values is None and value is not None and len(measures) == 1:
        values = {measures[0]: value}
    if not isinstance(values, dict):
        raise StandardsError(f"Give the measured {' and '.join(measures)} values.", field)
    clean = {}
    for measure in measures:
        raw = values.get(measure)
        if raw is None or isinstance(raw, bool):
            raise StandardsError(f"Give the {measure.replace('_', ' ')} value.", field)
        try:
            number = float(raw)
        except (TypeError, ValueError):
            raise StandardsError(f"Give the {measure.replace('_', ' ')} value as a number.", field) from None
        if number < 0 or number != number or number in (float("inf"), float("-inf")):
            raise StandardsError("Give values of zero or more.", field)
        clean[measure] = number
    return clean


def record_measurement(school, item: StandardItem, *, by, now: datetime, value=None, values: dict | None = None,
                       evidence: str = "") -> Assessment:
    """Measured values (e.g. {"download": 120, "upload": 35} in Mbps, or `value` for an item with one
    measure); the status is the worst measure against the thresholds for the school's phase
    (checks.evaluate_measured). Valid for the item's review interval when it has one."""
    _check_applies(school, item)
    if item.check_kind != "measured":
        raise StandardsError("This item is not a measured value.", "value")
    clean = _measured_values(item, value, values)
    status = evaluate_measured(item, phase_of(school), clean)
    return _save(school, item, by=by, now=now, status=status, value=next(iter(clean.values())), values=clean,
                 evidence=(evidence or "").strip(), expires_at=_expiry(item, now))


def mark_not_applicable(school, item: StandardItem, *, reason: str, by, now: datetime) -> Assessment:
    """The item does not apply to this school, for the reason given (kept until someone changes it)."""
    reason = (reason or "").strip()
    if not reason:
        raise StandardsError("Say why this does not apply to the school.", "reason")
    return _save(school, item, by=by, now=now, status="not_applicable", reason=reason, expires_at=None)


def record(school, item: StandardItem, data: dict, *, by, now: datetime, attachment=None) -> Assessment:
    """One entry point for forms and the API: not applicable with a reason, a value for a measured
    item, otherwise an attestation."""
    if data.get("status") == "not_applicable":
        return mark_not_applicable(school, item, reason=data.get("reason", ""), by=by, now=now)
    if item.check_kind == "measured":
        return record_measurement(school, item, value=data.get("value"), values=data.get("values"), by=by,
                                  now=now, evidence=data.get("evidence", ""))
    return record_attestation(school, item, status=data.get("status", ""), evidence=data.get("evidence", ""),
                              by=by, now=now, attachment=attachment)


def history(school_ids, *, item_id: int | None = None):
    """The schools' assessments, newest first, as a statement (pages and the API paginate it)."""
    stmt = (select(Assessment).where(Assessment.school_id.in_(list(school_ids)))
            .options(joinedload(Assessment.item), joinedload(Assessment.assessed_by)))
    if item_id is not None:
        stmt = stmt.where(Assessment.item_id == item_id)
    return stmt
