"""The register's file import and export under load, for `make bench`. Figures, not assertions.

`run_import(app, rows=100_000)` makes a school's CSV of `rows` new devices (Windows-1252, CRLF,
UK dates, £ costs: the shape schools send), previews it as the page does and commits it as the
`imports` job does, and reports seconds and rows a second for each. `run_export(app)` streams
the CSV and the XLSX of every asset the database holds, each in a forked process, and reports
seconds and how far the process's peak memory grew while doing it. `run(app)` does both. Connect the app as the
application's own role to see row-level security's cost.

    TRUST_IT_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \
    .venv/bin/python -m tests.bench_assets_import
"""
from __future__ import annotations

import json
import os
import sys
import time
from datetime import date

from sqlalchemy import func, select

TODAY = date(2026, 9, 1)


def _school():
    from services.directory.generate import seed_trust
    from services.directory.models import School
    from trust_it.extensions import db
    school = db.session.execute(select(School).order_by(School.id).limit(1)).scalar()
    if school is None:
        seed_trust(schools=2, users_per_school=5, name="Import Bench Trust")
        db.session.commit()
        school = db.session.execute(select(School).order_by(School.id).limit(1)).scalar()
    return school


def make_file(rows: int, prefix: str) -> bytes:
    lines = ["Asset Tag,Serial Number,Manufacturer,Model Name,Category,Purchase Date,Purchase Cost,Warranty,Notes"]
    for i in range(rows):
        lines.append(f"{prefix}{i:07d},{prefix}SN{i:08d},Lenovo,ThinkPad L14,Laptop,{1 + i % 28:02d}/0{1 + i % 9}/2023,"
                     f"\"£{600 + i % 400:,}.00\",36,Bench row {i}")
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def run_import(app, rows: int = 100_000) -> dict:
    from services.assets import import_writer, importer
    from trust_it.extensions import db
    from trust_it.tenancy import unscoped
    with app.app_context(), unscoped():
        school = _school()
        content = make_file(rows, f"B{int(time.time()) % 100000:05d}-")
        started = time.perf_counter()
        run = importer.upload(trust_id=school.trust_id, school=school, filename="bench.csv", content=content,
                              by=None, today=TODAY)
        db.session.commit()
        previewed = time.perf_counter()
        run.status = "queued"
        run.date_order = "dmy"
        db.session.commit()  # as the page does before it queues the job: the progress writer updates this row
        import_writer.write(run, today=TODAY)
        db.session.commit()
        finished = time.perf_counter()
        result = {"rows": rows, "status": run.status, "created": run.created,
                  "preview_seconds": round(previewed - started, 2), "commit_seconds": round(finished - previewed, 2),
                  "total_seconds": round(finished - started, 2),
                  "rows_per_second": round(rows / (finished - started)), "error": run.error}
        db.session.remove()
    return result


def _memory_kb(field: str) -> int:
    """VmRSS (now) or VmHWM (the peak) of this process, from /proc."""
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field + ":"))


def _export_in_child(app, kind: str, pipe) -> None:
    """One export in a forked process, so its peak memory is its own and no profiler slows it."""
    from services.assets import exporter
    from services.assets.search import AssetFilters
    from trust_it.extensions import db
    from trust_it.tenancy import unscoped
    chunks = {"csv": exporter.csv_chunks, "xlsx": exporter.xlsx_chunks}[kind]
    with app.app_context(), unscoped():
        db.engine.dispose(close=False)  # the parent's connections stay the parent's
        before = _memory_kb("VmRSS")
        started = time.perf_counter()
        size = sum(len(chunk) for chunk in chunks(AssetFilters(today=TODAY, include_gone=True)))
        seconds = time.perf_counter() - started
        pipe.send({"seconds": round(seconds, 2), "bytes": size,
                   "peak_memory_growth_mb": round((_memory_kb("VmHWM") - before) / 1024, 1)})
        db.session.remove()


def run_export(app) -> dict:
    """Every asset as CSV and as XLSX, each streamed in a child process: time and peak memory growth."""
    import multiprocessing

    from services.assets.models import Asset
    from trust_it.extensions import db
    from trust_it.tenancy import unscoped
    with app.app_context(), unscoped():
        out = {"assets": db.session.execute(select(func.count()).select_from(Asset)).scalar()}
        db.session.remove()
        db.engine.dispose()
    fork = multiprocessing.get_context("fork")
    for kind in ("csv", "xlsx"):
        receive, send = fork.Pipe(duplex=False)
        child = fork.Process(target=_export_in_child, args=(app, kind, send))
        child.start()
        result = receive.recv()
        child.join()
        result["rows_per_second"] = round(out["assets"] / result["seconds"]) if result["seconds"] else None
        out[kind] = result
    return out


def run(app, rows: int = 100_000) -> dict:
    return {"import": run_import(app, rows), "export": run_export(app)}


if __name__ == "__main__":
    from tests.conftest import make_test_app
    url = os.environ.get("TRUST_IT_BENCH_DATABASE_URL") or "sqlite:////tmp/trust-it-bench-import.db"
    bench_app = make_test_app(url, __import__("pathlib").Path("/tmp"))
    if url.startswith("sqlite"):
        with bench_app.app_context():
            from flask_migrate import upgrade
            upgrade()
    json.dump(run(bench_app, int(sys.argv[1]) if len(sys.argv) > 1 else 100_000), sys.stdout, indent=2)
    print()
