"""The register's file import and export under load, for `make bench`. Figures, not assertions.

`run_import(app, rows=100_000)` makes a school's CSV of `rows` new devices (Windows-1252, CRLF,
UK dates, £ costs: the shape schools send), previews it as the page does and commits it as the
`imports` job does, and reports seconds and rows a second for each. `run_export(app)` streams
the CSV and the XLSX of every asset the database holds and reports seconds and the peak memory
Python allocated while doing it (tracemalloc). `run(app)` does both. Connect the app as the
application's own role to see row-level security's cost.

    TRUST_IT_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \
    .venv/bin/python -m tests.bench_assets_import
"""
from __future__ import annotations

import json
import os
import sys
import time
import tracemalloc
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
        import_writer.write(run, today=TODAY)
        db.session.commit()
        finished = time.perf_counter()
        result = {"rows": rows, "status": run.status, "created": run.created,
                  "preview_seconds": round(previewed - started, 2), "commit_seconds": round(finished - previewed, 2),
                  "total_seconds": round(finished - started, 2),
                  "rows_per_second": round(rows / (finished - started)), "error": run.error}
        db.session.remove()
    return result


def run_export(app) -> dict:
    from services.assets import exporter
    from services.assets.models import Asset
    from services.assets.search import AssetFilters
    from trust_it.extensions import db
    from trust_it.tenancy import unscoped
    out = {}
    with app.app_context(), unscoped():
        out["assets"] = db.session.execute(select(func.count()).select_from(Asset)).scalar()
        for kind, chunks in (("csv", exporter.csv_chunks), ("xlsx", exporter.xlsx_chunks)):
            filters = AssetFilters(today=TODAY, include_gone=True)
            tracemalloc.start()
            started = time.perf_counter()
            size = sum(len(chunk) for chunk in chunks(filters))
            seconds = time.perf_counter() - started
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            out[kind] = {"seconds": round(seconds, 2), "bytes": size, "peak_python_mb": round(peak / 2**20, 1),
                         "rows_per_second": round(out["assets"] / seconds) if seconds else None}
            db.session.rollback()
        db.session.remove()
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
