"""Create or update a trust's schools from a GIAS establishment CSV, keyed on URN."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from services.audit import log
from services.directory.gias import GiasRowError, parse_gias_csv
from services.directory.models import School, Trust
from services.directory.schools import create_school
from trust_it.extensions import db


@dataclass
class GiasImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[GiasRowError] = field(default_factory=list)
    skipped_other_trusts: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


def import_gias(trust: Trust, data: bytes, *, trust_code: str | None = None, skip_invalid: bool = False,
                by=None) -> GiasImportResult:
    """All or nothing unless `skip_invalid`: with bad rows and no skip, nothing is written."""
    code = trust_code or trust.gias_group_uid
    records, errors = parse_gias_csv(data, trust_code=code)
    result = GiasImportResult(errors=list(errors))
    if code:
        every, _ = parse_gias_csv(data)
        result.skipped_other_trusts = max(len(every) - len(records), 0)
    if errors and not skip_invalid:
        return result

    existing = {s.urn: s for s in db.session.execute(
        select(School).where(School.urn.in_([r.urn for r in records]))).scalars()} if records else {}
    for r in records:
        values = {"name": r.name, "la_estab": r.la_estab, "phase": r.phase, "pupils": r.pupils}
        school = existing.get(r.urn)
        if school is None:
            create_school(trust, urn=r.urn, by=by, **values)
            result.created.append(r.urn)
        elif school.trust_id != trust.id:
            result.errors.append(GiasRowError(r.line, "URN", f"URN {r.urn} belongs to another trust's school"))
        elif any(getattr(school, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(school, k, v)
            result.updated.append(r.urn)
        else:
            result.unchanged.append(r.urn)
    db.session.flush()
    log.record("school.gias_import", f"GIAS import: {len(result.created)} added, {len(result.updated)} updated, "
               f"{len(result.errors)} rows with errors", actor=by, trust_id=trust.id)
    return result
