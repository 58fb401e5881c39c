"""Many rows in one statement: INSERT and UPDATE by primary key for a batch computed in Python.

On PostgreSQL each column travels as one array and the statement reads them with `unnest`, so
a batch of thousands of rows is one statement with a dozen parameters: planned once, row-level
security checked as for any write, and no per-row round trip or per-row SQL text (an
`INSERT … VALUES` of thousands of rows costs more to build and parse than to run). Elsewhere
(SQLite) it is SQLAlchemy's executemany, which is what a single-writer database does best anyway.
"""
from __future__ import annotations

import json

from sqlalchemy import JSON, insert, update

from trust_it.extensions import db


def _postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _arrays(model, columns: list[str], rows: list[dict]) -> tuple[str, dict]:
    """`unnest(CAST(%(c0)b AS type[]), …)` and its parameters: one array per column."""
    dialect = db.session.get_bind().dialect
    casts, params = [], {}
    for n, name in enumerate(columns):
        column = model.__table__.c[name]
        values = [row[name] for row in rows]
        if isinstance(column.type, JSON):
            values = [None if v is None else json.dumps(v) for v in values]
        # %b: binary, so thousands of strings need no quoting and escaping on the way.
        casts.append(f"CAST(%(c{n})b AS {_array_element(column.type, dialect)}[])")
        params[f"c{n}"] = values
    return ", ".join(casts), params


def _array_element(type_, dialect) -> str:
    """The column's type as an array element: no COLLATE (not allowed inside a cast to an array;
    the column applies its own collation when the value is stored or compared)."""
    impl = type_.dialect_impl(dialect)  # a variant resolved for this dialect
    if getattr(impl, "collation", None):
        impl = impl.copy()
        impl.collation = None
    return impl.compile(dialect=dialect)


def insert_rows(model, rows: list[dict], returning: tuple[str, ...] = ()) -> list:
    """Insert every row (all with the same keys); returns the `returning` columns of each, in no set order."""
    if not rows:
        return []
    defaults = _defaults(model, rows[0])
    if defaults:
        rows = [{**defaults, **row} for row in rows]
    columns = list(rows[0])
    if not _postgres():
        stmt = insert(model)
        if returning:
            return db.session.execute(stmt.returning(*(model.__table__.c[c] for c in returning)), rows).all()
        db.session.execute(stmt, rows)
        return []
    arrays, params = _arrays(model, columns, rows)
    sql = (f'INSERT INTO "{model.__tablename__}" ({_names(columns)}) SELECT * FROM unnest({arrays})'
           + (f" RETURNING {_names(list(returning))}" if returning else ""))
    result = db.session.connection().exec_driver_sql(sql, params)
    return result.all() if returning else []


def update_rows(model, rows: list[dict]) -> None:
    """Update each row by its `id` to the values given (all rows with the same keys)."""
    if not rows:
        return
    if not _postgres():
        db.session.execute(update(model).execution_options(synchronize_session=False), rows)
        return
    columns = list(rows[0])
    arrays, params = _arrays(model, columns, rows)
    table = model.__tablename__
    sets = ", ".join(f'"{c}" = v."{c}"' for c in columns if c != "id")
    db.session.connection().exec_driver_sql(
        f'UPDATE "{table}" SET {sets} FROM unnest({arrays}) AS v({_names(columns)}) WHERE "{table}".id = v.id', params)


def _names(columns: list[str]) -> str:
    return ", ".join(f'"{c}"' for c in columns)


def _defaults(model, row: dict) -> dict:
    """The model's Python-side defaults for the columns the rows leave out (as the ORM would fill them)."""
    values = {}
    for column in model.__table__.columns:
        default = column.default
        if column.name in row or column.primary_key or default is None or not default.is_scalar and \
                not default.is_callable:
            continue
        values[column.name] = default.arg(None) if default.is_callable else default.arg
    return values
