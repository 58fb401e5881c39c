"""Keyset (cursor) pagination: a page deep in a million rows costs the same as the first."""
from __future__ import annotations

import base64
import json

from flask_smorest import abort
from marshmallow import Schema, fields, validate

from trust_it.ids import MAX_ID

MAX_LIMIT = 200


class PageArgs(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_LIMIT),
                           metadata={"description": "Items per page (1–200)."})
    cursor = fields.String(load_default=None, metadata={"description": "`next_cursor` of the previous page."})


def page_schema(item_schema, name: str):
    return type(name, (Schema,), {
        "items": fields.List(fields.Nested(item_schema), required=True),
        "next_cursor": fields.String(
            allow_none=True, metadata={"description": "Pass as `cursor` for the next page; null on the last page."}),
    })


def decode(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor.encode() + b"=" * (-len(cursor) % 4)))
        after = data["after"] if isinstance(data, dict) else None
        # bool is an int to Python; ids are the database's 32-bit integers.
        if type(after) is not int or not 0 <= after <= MAX_ID:
            raise ValueError
        return after
    except (ValueError, KeyError, TypeError, OverflowError):
        abort(422, message="The cursor is not valid.", errors={"query": {"cursor": ["Not a valid cursor."]}})


def encode(after_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": after_id}).encode()).decode().rstrip("=")


def paginate(stmt, id_column, args, session):
    """Apply `id > cursor ORDER BY id LIMIT n+1`; returns the page body."""
    return _body(list(session.execute(_keyset(stmt, id_column, args)).scalars().unique()), args)


def paginate_ids_first(ids, load, id_column, args, session):
    """The page's ids first (a keyset walk of an index), then its rows with what they show, in one query.

    `ids` selects `id_column` with the list's conditions; `load(page)` selects the rows joined to the
    `page` sub-query of ids. A sub-query with a LIMIT is worked out before the join, so the planner
    never joins every remaining row before the limit: a deep page costs what the first does whatever
    the table's statistics say."""
    page = _keyset(ids, id_column, args).subquery()
    return _body(list(session.execute(load(page).order_by(id_column)).scalars().unique()), args)


def _keyset(stmt, id_column, args):
    after = decode(args.get("cursor"))
    if after is not None:
        stmt = stmt.where(id_column > after)
    return stmt.order_by(id_column).limit(args.get("limit", 50) + 1)


def _body(rows, args):
    limit = args.get("limit", 50)
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": rows, "next_cursor": encode(rows[-1].id) if more and rows else None}
