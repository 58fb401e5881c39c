"""Row-level security reads the scope once per statement, not once per row.

The policies of 0003 parsed `trust_it.school_ids` (up to a trust's 150 ids) again for every
row they looked at — about 11 µs a row, most of a trust-wide page's time. Here each reading of
a setting is an uncorrelated sub-select, which PostgreSQL evaluates once per statement (an
init-plan) and then compares each row with. The rule is unchanged: '*' (jobs, the CLI) sees
everything; with nothing set nothing is visible and nothing can be written (a NULL result
refuses the row in USING and in WITH CHECK alike).

'*' is turned into NULL before the integer cast, so the cast never sees it whichever of the
init-plans PostgreSQL happens to evaluate first; with nothing set the multirange is NULL too.

The tables are those that carry the `school_scope` policy, read from the catalogue, so every
table protected before is protected after.

Revision ID: 0008
Revises: 0006
"""
from alembic import op
from sqlalchemy import text

revision = '0008'
down_revision = '0006'
branch_labels = None
depends_on = None

_IDS = "current_setting('trust_it.school_ids', true)"
EVERYTHING = f"(SELECT {_IDS} = '*')"
# The scope's ids as a multirange, built once per statement: a row is then checked by a binary
# search (`<@`) rather than by walking a trust's 150 ids one by one (PostgreSQL 14 or later).
SCOPE_IDS = (f"(SELECT range_agg(int4range(scope.school, scope.school, '[]')) FROM "
             f"unnest(string_to_array(NULLIF(NULLIF({_IDS}, ''), '*'), ',')::int[]) AS scope(school))")
TRUST_ID = "(SELECT NULLIF(current_setting('trust_it.trust_id', true), '')::int)"

# 0003's per-row form, for the downgrade.
_OLD_IN_SCOPE = (f"(CASE WHEN {_IDS} = '*' THEN true ELSE {{column}} = ANY("
                 f"string_to_array(NULLIF({_IDS}, ''), ',')::int[]) END)")
_OLD_TRUST_WIDE = (f"(school_id IS NULL AND (CASE WHEN {_IDS} = '*' THEN true "
                   "ELSE trust_id = NULLIF(current_setting('trust_it.trust_id', true), '')::int END))")


def _in_scope(column: str) -> str:
    return f"({EVERYTHING} OR {column} <@ {SCOPE_IDS})"


def _condition(table: str, old: bool) -> str:
    in_scope = _OLD_IN_SCOPE.format if old else _in_scope
    if table == "schools":
        return in_scope(column="id")
    if table == "articles":  # trust-wide articles (no school) are visible within their trust
        trust_wide = _OLD_TRUST_WIDE if old else f"(school_id IS NULL AND ({EVERYTHING} OR trust_id = {TRUST_ID}))"
        return f"{in_scope(column='school_id')} OR {trust_wide}"
    return in_scope(column="school_id")


def _protected_tables() -> list[str]:
    return list(op.get_bind().execute(text(
        "SELECT tablename FROM pg_policies WHERE policyname = 'school_scope' AND schemaname = current_schema() "
        "ORDER BY tablename")).scalars())


def _replace(old: bool) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite (the embedded demo) has no row-level security
    for table in _protected_tables():
        condition = _condition(table, old)
        op.execute(f"ALTER POLICY school_scope ON {table} USING ({condition}) WITH CHECK ({condition})")


def upgrade():
    _replace(old=False)


def downgrade():
    _replace(old=True)
