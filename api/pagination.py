"""Keyset (cursor) pagination: a page deep in a million rows costs the same as the first."""
from __future__ import annotations

import base64
import json

from flask_smorest import abort
from marshmallow import Schema, fields, validate

MAX_LIMIT = 200
MAX_ID = 2**31 - 1


class PageArgs(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_LIMIT),
                           metadata={"description": "Items per page (1–200)."})
    cursor = fields.String(load_default=None, metadata={"description": "`next_cursor` of the previous page."})


def page_schema(item_schema, name: str):
    return type(name, (Schema,), {
        "items": fields.List(fields.Nested(item_schema), required=True),
        "next_cursor": fields.String(allow_none=True, metadata={"description": "Pass as `cursor` for the next page; null on the last page."}),
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
    after = decode(args.get("cursor"))
    limit = args.get("limit", 50)
    if after is not None:
        stmt = stmt.where(id_column > after)
    rows = list(session.execute(stmt.order_by(id_column).limit(limit + 1)).scalars().unique())
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": rows, "next_cursor": encode(rows[-1].id) if more and rows else None}
