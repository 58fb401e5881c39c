"""Create or update a trust's schools from a GIAS establishment CSV, keyed on URN."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from services.audit import log
from services.directory.errors import DirectoryError
from services.directory.gias import (
    COL_ESTAB,
    COL_NAME,
    COL_PHASE,
    COL_PUPILS,
    COL_URN,
    GiasRowError,
    GiasSchool,
    parse_gias_csv,
)
from services.directory.models import School, Trust
from services.directory.schools import create_school, validate_fields
from trust_it.extensions import db

# Which GIAS column a refused school field came from, so the report points into the file.
COLUMN_OF_FIELD = {"name": COL_NAME, "slug": COL_NAME, "urn": COL_URN, "la_estab": COL_ESTAB, "phase": COL_PHASE,
                   "pupils": COL_PUPILS}


@dataclass
class GiasImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[GiasRowError] = field(default_factory=list)
    closed: list[GiasSchool] = field(default_factory=list)  # closed establishments: not imported as schools
    skipped_other_trusts: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def imported(self) -> int:
        return len(self.created) + len(self.updated) + len(self.unchanged)


def _refused(record: GiasSchool, exc: DirectoryError) -> list[GiasRowError]:
    problems = getattr(exc, "errors", None) or {exc.field: exc.message}
    return [GiasRowError(record.line, COLUMN_OF_FIELD.get(name, None), message) for name, message in problems.items()]


def import_gias(trust: Trust, data: bytes, *, trust_code: str | None = None, skip_invalid: bool = False,
                by=None) -> GiasImportResult:
    """All or nothing unless `skip_invalid`: with bad rows and no skip, nothing is written.

    Closed establishments are listed in the result, not created (a closed school would show
    up in every school list); one already in the directory is left for a person to remove."""
    code = trust_code or trust.gias_group_uid
    records, errors = parse_gias_csv(data, trust_code=code)
    result = GiasImportResult(errors=list(errors))
    if code:
        every, _ = parse_gias_csv(data)
        result.skipped_other_trusts = max(len(every) - len(records), 0)
    result.closed = [r for r in records if r.closed]
    records = [r for r in records if not r.closed]
    if errors and not skip_invalid:
        return result

    existing = {s.urn: s for s in db.session.execute(
        select(School).where(School.urn.in_([r.urn for r in records]))).scalars()} if records else {}
    for r in records:
        values = {"name": r.name, "la_estab": r.la_estab, "phase": r.phase, "pupils": r.pupils}
        school = existing.get(r.urn)
        try:
            # A savepoint per row: one refused school (a clash found only in the database) leaves the rest.
            with db.session.begin_nested():
                if school is None:
                    create_school(trust, urn=r.urn, by=by, **values)
                    result.created.append(r.urn)
                elif school.trust_id != trust.id:
                    result.errors.append(
                        GiasRowError(r.line, COL_URN, f"URN {r.urn} belongs to another trust's school"))
                elif any(getattr(school, k) != v for k, v in values.items()):
                    for k, v in validate_fields(values, school=school).items():
                        setattr(school, k, v)
                    result.updated.append(r.urn)
                else:
                    result.unchanged.append(r.urn)
        except DirectoryError as exc:
            result.errors.extend(_refused(r, exc))
    db.session.flush()
    log.record("school.gias_import", f"GIAS import: {len(result.created)} added, {len(result.updated)} updated, "
               f"{len(result.closed)} closed not imported, {len(result.errors)} rows with errors",
               actor=by, trust_id=trust.id)
    return result
