"""Jobs: inline in the embedded mode; a real rq worker on real Redis otherwise."""
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from services.audit.models import AuditEvent, JobFailure
from services.directory.models import Membership
from tests.conftest import REDIS_URL, data
from trust_it import jobs

EXPIRED_TASK = "services.directory.tasks:record_expired_memberships"


def _expired_engineer(make):
    oak = make.school("oak")
    return make.user(role="msp_engineer", school=oak, email="kate@brightmsp.co.uk",
                     expires_at=datetime.utcnow() - timedelta(hours=1))


def _expiry_events(app):
    with data(app) as s:
        return s.execute(select(AuditEvent).where(AuditEvent.action == "membership.expired")).scalars().all()


def test_inline_job_records_an_ended_contract_once(app, make):
    _expired_engineer(make)
    with data(app):
        jobs.enqueue(EXPIRED_TASK)
    with data(app):
        jobs.enqueue(EXPIRED_TASK)  # a second run, or a retry, finds nothing more to do
    events = _expiry_events(app)
    assert len(events) == 1
    assert "kate@brightmsp.co.uk's access as MSP engineer at Oak School ended" in events[0].summary


def test_a_failing_inline_job_is_recorded_and_its_writes_undone(app, make):
    with data(app):
        jobs.enqueue(EXPIRED_TASK, 12345)  # the task takes no ids: it raises TypeError
    with data(app) as s:
        failure = s.execute(select(JobFailure)).scalar_one()
    assert failure.task == EXPIRED_TASK and "TypeError" in failure.error


def test_the_failed_jobs_page_shows_failures_to_trust_admins(app, make, login_as):
    with data(app):
        jobs.enqueue(EXPIRED_TASK, 12345)
    admin = login_as(make.user(role="trust_admin"))
    page = admin.get("/trust/jobs")
    assert page.status_code == 200 and "record_expired_memberships" in page.text
    assert login_as(make.user(role="it_director")).get("/trust/jobs").status_code == 403


def test_the_scheduler_tick_is_idempotent_within_a_slot(app, make):
    _expired_engineer(make)
    with data(app):
        first = jobs.tick(now=1_000_000.0)
        second = jobs.tick(now=1_000_001.0)
    assert first and not second
    assert len(_expiry_events(app)) == 1


needs_redis = pytest.mark.skipif(not REDIS_URL, reason="TRUST_IT_TEST_REDIS_URL not set")


@pytest.fixture
def redis_app(app):
    from redis import Redis
    Redis.from_url(REDIS_URL).flushdb()
    app.config.update(REDIS_URL=REDIS_URL, JOB_INLINE=False)
    yield app
    app.config.update(REDIS_URL=None, JOB_INLINE=True)
    Redis.from_url(REDIS_URL).flushdb()


def _run_worker(database_url, *extra):
    env = dict(os.environ, TRUST_IT_DATABASE_URL=database_url, TRUST_IT_REDIS_URL=REDIS_URL,
               TRUST_IT_INSTANCE_PATH=os.environ.get("TRUST_IT_INSTANCE_PATH", "/tmp"))
    return subprocess.run([sys.executable, "-m", "tests.run_cli", "worker", "--burst", *extra], env=env,
                          capture_output=True, text=True, timeout=120, cwd=Path(__file__).parents[2])


@needs_redis
def test_a_real_rq_worker_runs_the_job(redis_app, make, database_url):
    _expired_engineer(make)
    with data(redis_app):
        job = jobs.enqueue(EXPIRED_TASK, job_id="expiry-test-1")
        again = jobs.enqueue(EXPIRED_TASK, job_id="expiry-test-1")  # queued already: not twice
    assert again.id == job.id
    assert _expiry_events(redis_app) == []  # nothing happens until a worker takes the job
    result = _run_worker(database_url)
    assert result.returncode == 0, result.stderr
    assert len(_expiry_events(redis_app)) == 1
    with data(redis_app) as s:
        assert s.execute(select(Membership.expiry_recorded_at)).scalar() is not None


@needs_redis
def test_a_job_failing_in_the_worker_is_visible_and_retried(redis_app, make, database_url):
    with data(redis_app):
        jobs.enqueue(EXPIRED_TASK, 1, 2, retries=0)
    result = _run_worker(database_url)
    assert result.returncode == 0, result.stderr
    with data(redis_app) as s:
        failure = s.execute(select(JobFailure)).scalar_one()
        assert "TypeError" in failure.error and failure.queue == "default"
    from rq import Queue
    from rq.registry import FailedJobRegistry
    with redis_app.app_context():
        assert len(FailedJobRegistry(queue=Queue("default", connection=jobs.redis_connection()))) == 1


@needs_redis
def test_the_scheduler_tick_queues_every_periodic_task_on_redis(redis_app):
    with redis_app.app_context():
        started = jobs.tick(now=1_000_000.0)
        assert started and all(j.startswith("periodic-") for j in started)
        from rq.job import Job
        assert all(Job.exists(j, connection=jobs.redis_connection()) for j in started)
