"""Writing a planned import: a few statements per thousand rows, all in the job's one transaction.

Each batch is one INSERT of new assets, one INSERT of their history ("imported") and one UPDATE of
changed assets with one INSERT of their history (`services/desk/bulk.py`: arrays on PostgreSQL,
executemany on SQLite). Nothing is flushed row by row. The run's progress goes through a
connection of its own and commits at once, so the page sees the bar move while the import's
own transaction is still open; the run row is touched by the job's transaction only at the end,
so the two never wait on each other's lock. SQLite has one writer at a time: there the bar
jumps from 0 to done when the job commits.
"""
from __future__ import annotations

import logging
from datetime import date

from sqlalchemy import select, text

from services.assets.importer import WRITTEN, Plan, make_plan
from services.assets.models import Asset, AssetCategory, AssetEvent, ImportRun
from services.audit import log
from services.base import utcnow
from services.desk import bulk
from trust_it.extensions import db

BATCH = 1000
logger = logging.getLogger(__name__)


def write(run: ImportRun, *, today: date, progress=None) -> None:
    """Apply `run` (status "queued"). `progress(done, total)` defaults to the run's own row."""
    plan = make_plan(run, today=today)
    refusal = _refusal(run, plan)
    if refusal:
        _finish(run, plan, status="failed", error=refusal)
        return
    progress = progress or _progress_writer(run.id)
    total = len(plan.creates) + len(plan.updates)
    progress(0, total)
    try:
        with db.session.begin_nested():  # all or nothing: a failure midway leaves no asset written
            _apply(run, plan, progress, total)
    except Exception as exc:  # the run says what went wrong; the worker's log keeps the trace
        logger.exception("Import %s failed", run.id)
        _finish(run, plan, status="failed", error=f"The import stopped and wrote nothing: {exc.__class__.__name__}.")
        return
    _finish(run, plan, status="done")
    log.record("assets.imported", f"Imported {run.filename}: {len(plan.creates)} assets added, "
                                  f"{len(plan.updates)} updated", actor=run.actor, trust_id=run.trust_id,
               school=run.school, detail={"import_id": run.id, "created": len(plan.creates),
                                          "updated": len(plan.updates), "skipped_rows": len(plan.bad_lines)})


def _refusal(run: ImportRun, plan: Plan) -> str:
    if plan.file_error:
        return plan.file_error
    if plan.date_order_needed and not run.date_order:
        return "The file's dates could be day/month or month/day, and no one said which."
    if plan.error_count and not run.valid_rows_only:
        return f"{plan.error_count} problems were found in the file since its preview: nothing was imported."
    return ""


def _apply(run: ImportRun, plan: Plan, progress, total: int) -> None:
    categories = _new_categories(run.trust_id, plan.new_categories)
    now = utcnow()
    note = f"Imported from {run.filename}"
    done = 0
    for start in range(0, len(plan.creates), BATCH):
        batch = plan.creates[start:start + BATCH]
        rows = [_asset_row(row, run.trust_id, categories, now, created=True) for row in batch]
        ids = dict((tag, asset_id) for asset_id, tag in bulk.insert_rows(Asset, rows, returning=("id", "tag")))
        bulk.insert_rows(AssetEvent, [
            {"school_id": row["_school_id"], "asset_id": ids[row["tag"]], "kind": "imported", "actor_id": run.actor_id,
             "changes": {}, "note": note, "created_at": now} for row in batch])
        done += len(batch)
        progress(done, total)
    for start in range(0, len(plan.updates), BATCH):
        batch = plan.updates[start:start + BATCH]
        bulk.update_rows(Asset, [{"id": row["id"], **_asset_row(row, run.trust_id, categories, now, created=False)}
                                 for row in batch])
        bulk.insert_rows(AssetEvent, [
            {"school_id": row["_school_id"], "asset_id": row["id"], "kind": "imported", "actor_id": run.actor_id,
             "changes": row["_changes"], "note": note, "created_at": now} for row in batch])
        done += len(batch)
        progress(done, total)


def _new_categories(trust_id: int, names: list[str]) -> dict[int, int]:
    """Categories the person chose to create, with the trust's "Other" life and cost; -1, -2… → id."""
    if not names:
        return {}
    other = db.session.execute(select(AssetCategory).where(
        AssetCategory.trust_id == trust_id, AssetCategory.name == "Other")).scalar_one_or_none()
    made = {}
    for n, name in enumerate(names):
        category = AssetCategory(trust_id=trust_id, name=name[:100], custom_fields=[],
                                 expected_life_months=other.expected_life_months if other else 60,
                                 unit_cost=other.unit_cost if other else 0)
        db.session.add(category)
        made[-1 - n] = category
    db.session.flush()
    return {key: category.id for key, category in made.items()}


def _asset_row(row: dict, trust_id: int, categories: dict[int, int], now, *, created: bool) -> dict:
    values = {column: row[column] for column in WRITTEN}
    values["category_id"] = categories.get(values["category_id"], values["category_id"])
    values["updated_at"] = now
    if created:
        values.update(trust_id=trust_id, school_id=row["_school_id"], created_at=now)
    return values


def _finish(run: ImportRun, plan: Plan, *, status: str, error: str = "") -> None:
    run.status = status
    run.error = error
    run.preview = plan.summary()
    run.created = len(plan.creates) if status == "done" else 0
    run.updated = len(plan.updates) if status == "done" else 0
    run.total = len(plan.creates) + len(plan.updates)
    run.done = run.total if status == "done" else 0
    run.finished_at = utcnow()
    db.session.flush()


def _progress_writer(run_id: int):
    """Progress on a connection of its own, committed at once (PostgreSQL); nothing on SQLite,
    where a second writer would wait for the import's own transaction."""
    engine = db.session.get_bind()
    if engine.dialect.name != "postgresql":
        return lambda done, total: None

    def write_progress(done: int, total: int) -> None:
        with engine.connect() as conn:
            # The job runs for the system: the run's row is the trust's, whichever school it is.
            conn.execute(text("SELECT set_config('trust_it.school_ids', '*', true)"))
            conn.execute(text("UPDATE asset_import_runs SET status = 'running', done = :done, total = :total "
                              "WHERE id = :id"), {"done": done, "total": total, "id": run_id})
            conn.commit()
    return write_progress
