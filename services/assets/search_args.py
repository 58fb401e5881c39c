"""The register's filters to and from a query string, shared by the lists, the exports and the API.

`?q=5CG&school=3&category=1&category=2&status=deployed&warranty=out&os=Windows&older_than=5`
means the same rows on a page, in a CSV, in an XLSX and through the API; `query_of` gives the
filters back for links that keep them. Numbers that reach SQL stay inside PostgreSQL's INTEGER
(`trust_it.ids.db_int`); anything unreadable is ignored, never a 500.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from services.assets.search import AssetFilters
from trust_it.ids import db_int

# The query-string names of the filters, as the pages and their links use them.
NAMES = ("q", "school", "category", "status", "warranty", "replacement", "os", "model", "older_than", "room",
         "person", "gone", "group", "support", "encrypted", "unseen", "managed")


def _ids(values: list[str]) -> tuple[int, ...]:
    """Ids given as repeated values or comma-separated, at most 50 of them."""
    parts = (part.strip() for value in values for part in value.split(","))
    return tuple(db_int(p) for p in parts if p.isascii() and p.isdigit() and int(p) > 0)[:50]


def filters_from_args(args: Mapping, *, today: date, school_id: int | None = None) -> AssetFilters:
    """AssetFilters from a query string (a MultiDict, or a dict of lists); what it does not know is
    ignored. `school_id` fixes the school (a school's own list); otherwise `school` may name several."""
    def many(name):
        got = args.getlist(name) if hasattr(args, "getlist") else args.get(name, [])
        return [v for v in ([got] if isinstance(got, str) else got) if v]

    def one(name):
        values = many(name)
        return values[0] if values else ""

    older, unseen = one("older_than"), one("unseen")
    return AssetFilters(
        today=today, q=one("q"), school_ids=(school_id,) if school_id else _ids(many("school")),
        category_ids=_ids(many("category")),
        statuses=tuple(s for value in many("status") for s in value.split(",") if s),
        warranty=one("warranty"), replacement=one("replacement"), os=one("os").strip()[:60],
        model=one("model").strip()[:60],
        older_than_years=min(int(older), 50) if older.isascii() and older.isdigit() and older != "0" else None,
        location_id=(_ids([one("room")]) or (None,))[0], assigned_user_id=(_ids([one("person")]) or (None,))[0],
        include_gone=one("gone") in ("1", "true", "yes", "on"), group=one("group"), support=one("support"),
        encrypted=one("encrypted"), managed=one("managed") in ("1", "true", "yes", "on"),
        unseen_days=min(int(unseen), 3650) if unseen.isascii() and unseen.isdigit() and unseen != "0" else None)


def query_of(f: AssetFilters, *, with_school: bool) -> dict:
    """The filters back as query-string values, for links that keep them (pages, exports, labels)."""
    out = {"q": f.q, "category": [str(i) for i in f.category_ids], "status": list(f.statuses),
           "warranty": f.warranty, "replacement": f.replacement, "os": f.os, "model": f.model,
           "older_than": str(f.older_than_years or ""), "room": str(f.location_id or ""),
           "person": str(f.assigned_user_id or ""), "gone": "1" if f.include_gone else "",
           "group": f.group, "support": f.support, "encrypted": f.encrypted, "unseen": str(f.unseen_days or ""),
           "managed": "1" if f.managed else ""}
    if with_school:
        out["school"] = [str(i) for i in f.school_ids]
    return {k: v for k, v in out.items() if v}
