"""The register's filters from a query string, shared by the lists, the exports and the API.

`?q=5CG&school=3&category=1&category=2&status=deployed&warranty=out&os=Windows&older_than=5`
means the same rows on a page, in a CSV and in an XLSX. Numbers that reach SQL stay inside
PostgreSQL's INTEGER (`trust_it.ids.db_int`); anything unreadable is ignored, never a 500.
"""
from __future__ import annotations

from datetime import date

from services.assets.search import AssetFilters
from trust_it.ids import db_int


def _ids(values: list[str]) -> tuple[int, ...]:
    out = []
    for value in values:
        for part in value.split(","):
            number = db_int(part.strip()) if part.strip().isdigit() else None
            if number:
                out.append(number)
    return tuple(out)


def _one_id(value: str | None) -> int | None:
    return db_int(value) if value and value.isdigit() else None


def filters_from_args(args, *, today: date, school_id: int | None = None) -> AssetFilters:
    """`args` is a MultiDict (request.args); `school_id` pins a school's own list to that school."""
    older = args.get("older_than", "")
    return AssetFilters(
        today=today,
        q=args.get("q", ""),
        school_ids=(school_id,) if school_id else _ids(args.getlist("school")),
        category_ids=_ids(args.getlist("category")),
        statuses=tuple(s for value in args.getlist("status") for s in value.split(",") if s),
        warranty=args.get("warranty", ""),
        replacement=args.get("replacement", ""),
        os=args.get("os", "").strip()[:60],
        older_than_years=min(int(older), 50) if older.isdigit() and int(older) > 0 else None,
        location_id=_one_id(args.get("room")),
        assigned_user_id=_one_id(args.get("person")),
        include_gone=args.get("include_gone", "") in ("1", "true", "yes", "on"),
    )
