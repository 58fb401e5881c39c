"""Row-level security on PostgreSQL: the database refuses other schools' rows too.

Defence in depth behind the ORM guard (trust_it/tenancy.py). Each transaction sets
`trust_it.school_ids` (comma-separated ids, or '*' for jobs and the CLI) and
`trust_it.trust_id`; with neither set, nothing is visible. FORCE applies the policies to
the tables' owner as well, so an application connecting as the owner is still bound.

Revision ID: 0003
Revises: 0002
"""
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

SCHOOL_TABLES = ("school_working_hours", "school_terms", "school_closures", "tickets", "ticket_events",
                 "escalations", "attachments", "article_openings", "ticket_articles", "training_sessions",
                 "training_tickets", "visits", "visit_tickets")
# CASE, not OR: PostgreSQL does not promise to skip the cast of '*' to an integer array.
IN_SCOPE = ("(CASE WHEN current_setting('trust_it.school_ids', true) = '*' THEN true ELSE {column} = ANY("
            "string_to_array(NULLIF(current_setting('trust_it.school_ids', true), ''), ',')::int[]) END)")


def _protect(table: str, condition: str) -> None:
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY school_scope ON {table} USING ({condition}) WITH CHECK ({condition})")


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite (the embedded demo) has no row-level security; the ORM guard is the rule there
    for table in SCHOOL_TABLES:
        _protect(table, IN_SCOPE.format(column="school_id"))
    _protect("schools", IN_SCOPE.format(column="id"))
    trust_wide = ("(school_id IS NULL AND (CASE WHEN current_setting('trust_it.school_ids', true) = '*' THEN true "
                  "ELSE trust_id = NULLIF(current_setting('trust_it.trust_id', true), '')::int END))")
    _protect("articles", f"{IN_SCOPE.format(column='school_id')} OR {trust_wide}")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in (*SCHOOL_TABLES, "schools", "articles"):
        op.execute(f"DROP POLICY IF EXISTS school_scope ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
