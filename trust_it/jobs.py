"""Background jobs: rq on Redis when TRUST_IT_REDIS_URL is set, inline otherwise.

Tasks are module-level functions taking ids (never ORM objects). `run_task` wraps every
job: app context, the tenancy escape hatch, one commit, and a JobFailure row when it raises
so a trust admin sees it. Work that must happen once gets a deterministic job id.
"""
from __future__ import annotations

import logging
import os
import threading
import time
import traceback
from dataclasses import dataclass
from typing import Callable

from flask import current_app, has_app_context
from sqlalchemy import select
from werkzeug.utils import import_string

QUEUES = ("default", "notifications", "reports", "imports", "sync")
RETRY_INTERVALS = [10, 60, 300]
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periodic:
    name: str
    task: str
    every: int
    queue: str


PERIODIC: dict[str, Periodic] = {}
PERIODIC_MODULES = ("services.directory.tasks", "services.desk.sweep", "services.desk.notify",
                    "services.assets.intune_jobs", "services.standards.tasks")


def task_name(task: Callable | str) -> str:
    return task if isinstance(task, str) else f"{task.__module__}:{task.__qualname__}"


def periodic(name: str, *, every: int, queue: str = "default"):
    """Register a task for the scheduler; `every` in seconds."""
    def decorator(func):
        PERIODIC[name] = Periodic(name, task_name(func), every, queue)
        return func
    return decorator


def is_inline() -> bool:
    return bool(current_app.config.get("JOB_INLINE", True))


def redis_connection():
    from redis import Redis
    return Redis.from_url(current_app.config["REDIS_URL"])


def enqueue(task: Callable | str, *ids, queue: str = "default", job_id: str | None = None,
            timeout: int = 600, retries: int = 3, after_commit: bool = False, for_trust: int | None = None,
            **kwargs):
    """Run `task(*ids, **kwargs)` in the background (or now, inline, in the embedded mode).

    `after_commit`: push the job only once the current transaction commits, so a worker never
    looks for rows that are not there yet (and a rolled-back request queues nothing).
    `for_trust`: whose work it is, so a failure is shown to that trust's administrators only.
    """
    if queue not in QUEUES:
        raise ValueError(f"Unknown queue {queue!r}")
    name = task_name(task)
    if is_inline() and after_commit:
        # Not now: an email must not leave for a change the request may still roll back.
        from trust_it.extensions import db
        db.session.info.setdefault("inline_after_commit", []).append(
            (name, list(ids), kwargs, queue, job_id, for_trust))
        return None
    if is_inline():
        return _run_inline(name, list(ids), kwargs, queue, job_id, for_trust)
    if after_commit:
        from trust_it.extensions import db
        db.session.info.setdefault("jobs_after_commit", []).append(
            (current_app._get_current_object(), (name, *ids),
             dict(queue=queue, job_id=job_id, timeout=timeout, retries=retries, for_trust=for_trust, **kwargs)))
        return None
    from rq import Queue, Retry
    from rq.job import Job, JobStatus

    conn = redis_connection()
    if job_id is not None:
        try:
            existing = Job.fetch(job_id, connection=conn)
        except Exception:
            existing = None
        if existing is not None and existing.get_status(refresh=True) in (
                JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED, JobStatus.FINISHED):
            return existing  # already done or on its way: work that must happen once happens once
    return Queue(queue, connection=conn).enqueue(
        run_task, name, list(ids), kwargs, queue, for_trust, job_id=job_id, job_timeout=timeout,
        retry=Retry(max=retries, interval=RETRY_INTERVALS[:retries]) if retries else None,
        result_ttl=86400, failure_ttl=7 * 86400, description=name)


def _run_inline(name, ids, kwargs, queue, job_id, for_trust=None):
    from trust_it.extensions import db
    from trust_it.tenancy import unscoped

    func = import_string(name)
    try:
        # A savepoint: a failing task rolls back its own writes, not its caller's.
        with db.session.begin_nested(), unscoped():
            return func(*ids, **kwargs)
    except Exception:
        logger.exception("Inline job %s failed", name)
        _record_failure(name, ids, kwargs, queue, job_id, traceback.format_exc(), for_trust)
        return None


_worker_app = None


def _app():
    global _worker_app
    if _worker_app is None:
        from trust_it import create_app
        _worker_app = create_app()
    return _worker_app


def run_task(name: str, ids: list, kwargs: dict, queue: str = "default", for_trust: int | None = None):
    """The body of every rq job."""
    from rq import get_current_job

    from trust_it.extensions import db
    from trust_it.tenancy import unscoped

    job = get_current_job()
    job_id = job.id if job else None
    app = current_app._get_current_object() if has_app_context() else _app()
    with app.app_context():
        func = import_string(name)
        try:
            with unscoped():
                result = func(*ids, **kwargs)
            _resolve_failures(job_id)
            db.session.commit()
            with unscoped():
                run_deferred_inline()
            return result
        except Exception:
            db.session.rollback()
            _record_failure(name, ids, kwargs, queue, job_id, traceback.format_exc(), for_trust)
            db.session.commit()
            raise
        finally:
            db.session.remove()


def _record_failure(name, ids, kwargs, queue, job_id, error, for_trust=None):
    from services.audit.models import JobFailure
    from services.base import utcnow
    from trust_it.extensions import db
    from trust_it.tenancy import unscoped

    with unscoped():
        failure = None
        if job_id:
            failure = db.session.execute(select(JobFailure).where(
                JobFailure.job_id == job_id, JobFailure.resolved_at.is_(None))).scalar()
        if failure is None:
            failure = JobFailure(job_id=job_id, queue=queue, task=name, args=list(ids), kwargs=dict(kwargs),
                                 error=error[-8000:], attempts=0, trust_id=for_trust)
            db.session.add(failure)
        failure.attempts += 1
        failure.error = error[-8000:]
        failure.failed_at = utcnow()
        db.session.flush()


def _resolve_failures(job_id):
    if not job_id:
        return
    from services.audit.models import JobFailure
    from services.base import utcnow
    from trust_it.extensions import db

    for failure in db.session.execute(select(JobFailure).where(
            JobFailure.job_id == job_id, JobFailure.resolved_at.is_(None))).scalars():
        failure.resolved_at = utcnow()


def retry_failure(failure, *, by=None):
    """Queue a failed job again by hand; the old record is closed."""
    from services.audit import log
    from services.base import utcnow

    failure.resolved_at = utcnow()
    log.record("job.retried", f"Job {failure.task} queued again", actor=by)
    enqueue(failure.task, *failure.args, queue=failure.queue, job_id=failure.job_id, for_trust=failure.trust_id,
            **failure.kwargs)


def _push_after_commit(session):
    pending = session.info.pop("jobs_after_commit", [])
    for app, args, options in pending:
        with app.app_context():
            try:
                enqueue(*args, **options)
            except Exception:  # Redis down: the periodic retry of the work picks it up
                logger.exception("Could not queue %s after commit", args[0])


def _forget_after_rollback(session):
    session.info.pop("jobs_after_commit", None)
    session.info.pop("inline_after_commit", None)


def commit() -> None:
    """Commit, then run what waited for the commit (for the CLI; requests and jobs do the same)."""
    from trust_it.extensions import db
    db.session.commit()
    run_deferred_inline()


def run_deferred_inline() -> int:
    """Run the inline jobs that waited for the commit, each in a transaction of its own.

    Called by whoever committed: the request cycle, the job wrapper, the CLI. A job may defer
    more (a notification recorded by a job), so keep going until nothing is left.
    """
    from trust_it.extensions import db
    ran = 0
    while True:
        pending = db.session.info.pop("inline_after_commit", [])
        if not pending:
            return ran
        for name, ids, kwargs, queue, job_id, for_trust in pending:
            _run_inline(name, ids, kwargs, queue, job_id, for_trust)
            db.session.commit()
            ran += 1


def _install_session_hooks():
    from sqlalchemy import event
    from sqlalchemy.orm import Session
    event.listen(Session, "after_commit", _push_after_commit)
    event.listen(Session, "after_soft_rollback", lambda session, previous: (
        _forget_after_rollback(session) if not session.in_transaction() else None))


_install_session_hooks()


# --- the scheduler ---------------------------------------------------------------------------

def load_periodic() -> dict[str, Periodic]:
    for module in PERIODIC_MODULES:
        import_string(module)
    return PERIODIC


def tick(now: float | None = None) -> list[str]:
    """Enqueue every periodic task whose slot has come; slot-based ids make double ticks harmless."""
    now = time.time() if now is None else now
    started = []
    for p in load_periodic().values():
        slot = int(now // p.every)
        # rq takes only letters, digits, "_" and "-" in a job id.
        job_id = f"periodic-{p.name.replace('.', '_')}-{slot}"
        if is_inline():
            # No Redis to remember job ids: remember the last slot per database in the process.
            key = (current_app.config["SQLALCHEMY_DATABASE_URI"], p.name)
            if _inline_slots.get(key) == slot:
                continue
            _inline_slots[key] = slot
        enqueue(p.task, queue=p.queue, job_id=job_id, timeout=max(60, p.every), retries=1)
        started.append(job_id)
    return started


_inline_slots: dict[tuple[str, str], int] = {}


def run_scheduler(app, *, interval: float = 15.0, stop: threading.Event | None = None) -> None:
    """Loop forever (or until `stop`): one process in production, a thread in the demo."""
    from trust_it.extensions import db

    stop = stop or threading.Event()
    logger.info("Scheduler started: %s", ", ".join(sorted(load_periodic())))
    while not stop.is_set():
        with app.app_context():
            try:
                tick()
                db.session.commit()
                run_deferred_inline()
            except Exception:
                db.session.rollback()
                logger.exception("Scheduler tick failed")
            finally:
                db.session.remove()
        stop.wait(interval)


def _dispose_pools_in_child():
    # rq forks a work horse per job; a child must not reuse the parent's database sockets.
    if _worker_app is not None:
        from trust_it.extensions import db
        with _worker_app.app_context():
            db.engine.dispose(close=False)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_dispose_pools_in_child)
