"""standards: schools' exceptions to an item, decided by the IT director on a desk ticket

Revision ID: 0014
Revises: 0012

A school's table: on PostgreSQL it takes the very policy the tickets table has, read from the
catalogue as 0009 and 0012 do, so the two can never differ.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('standard_exceptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('justification', sa.Text(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('requested_at', sa.DateTime(), nullable=False),
    sa.Column('recommended_by_id', sa.Integer(), nullable=True),
    sa.Column('recommended_at', sa.DateTime(), nullable=True),
    sa.Column('recommendation', sa.Text(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decision_text', sa.Text(), nullable=False),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['standard_items.id'], name=op.f('fk_standard_exceptions_item_id_standard_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_standard_exceptions_requested_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['recommended_by_id'], ['users.id'], name=op.f('fk_standard_exceptions_recommended_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_standard_exceptions_decided_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_standard_exceptions_ticket_id_tickets'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_standard_exceptions_school_id_schools'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_standard_exceptions'))
    )
    with op.batch_alter_table('standard_exceptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_standard_exceptions_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_standard_exceptions_school_id'), ['school_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_standard_exceptions_ticket_id'), ['ticket_id'], unique=False)
        batch_op.create_index('ix_standard_exceptions_school_id_status', ['school_id', 'status'], unique=False)
        batch_op.create_index('ix_standard_exceptions_school_id_item_id', ['school_id', 'item_id'], unique=False)
    _protect()


def _protect() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite (the embedded demo) has no row-level security; the ORM guard is the rule there
    school = op.get_bind().execute(sa.text(
        "SELECT qual FROM pg_policies WHERE policyname = 'school_scope' AND schemaname = current_schema() "
        "AND tablename = 'tickets'")).scalar_one()
    op.execute("ALTER TABLE standard_exceptions ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE standard_exceptions FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY school_scope ON standard_exceptions USING ({school}) WITH CHECK ({school})")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP POLICY IF EXISTS school_scope ON standard_exceptions")
    with op.batch_alter_table('standard_exceptions', schema=None) as batch_op:
        batch_op.drop_index('ix_standard_exceptions_school_id_item_id')
        batch_op.drop_index('ix_standard_exceptions_school_id_status')
        batch_op.drop_index(batch_op.f('ix_standard_exceptions_ticket_id'))
        batch_op.drop_index(batch_op.f('ix_standard_exceptions_school_id'))
        batch_op.drop_index(batch_op.f('ix_standard_exceptions_item_id'))
    op.drop_table('standard_exceptions')
