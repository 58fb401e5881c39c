"""indexes of open tickets by tier and due time, and by school for the dashboard

The escalation queue reads open tickets of one tier soonest due first; with an index in that
order a page costs its own rows, not the whole open backlog. The dashboard's per-school counts
read school, tier, due time and breach from a second index alone (an index-only scan).

Revision ID: 0008b
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = '0008b'
down_revision = '0008'
branch_labels = None
depends_on = None

OPEN = sa.text("status IN ('new', 'assigned', 'in_progress', 'awaiting_requester', 'escalated', 'reopened')")


def upgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index('ix_tickets_open_tier_due',
                              ['tier', sa.text('coalesce(resolution_due_at, sla_escalate_at)'), 'id'],
                              unique=False, postgresql_where=OPEN, sqlite_where=OPEN)
        batch_op.create_index('ix_tickets_open_school_tier_due', ['school_id', 'tier', 'resolution_due_at'],
                              unique=False, postgresql_include=['sla_breached_at'],
                              postgresql_where=OPEN, sqlite_where=OPEN)


def downgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_open_school_tier_due')
        batch_op.drop_index('ix_tickets_open_tier_due')
