"""standards: conformance month by month per school and baseline, the trend's points

Revision ID: 0015
Revises: 0014

One row per school × baseline × month, written after each refresh (and by the generator for past
months); school-owned, so it takes the tickets' row-level security policy like the other standards
tables.
"""
import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

TABLE = "standard_conformance_months"


def upgrade():
    op.create_table(TABLE,
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('baseline_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('met', sa.Integer(), nullable=False),
    sa.Column('partly_met', sa.Integer(), nullable=False),
    sa.Column('not_met', sa.Integer(), nullable=False),
    sa.Column('unknown', sa.Integer(), nullable=False),
    sa.Column('exception', sa.Integer(), nullable=False),
    sa.Column('applicable', sa.Integer(), nullable=False),
    sa.Column('core_met', sa.Integer(), nullable=False),
    sa.Column('core_applicable', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['baseline_id'], ['standard_baselines.id'],
                            name=op.f('fk_standard_conformance_months_baseline_id_standard_baselines'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_standard_conformance_months_school_id_schools'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_standard_conformance_months')),
    sa.UniqueConstraint('school_id', 'baseline_id', 'month',
                        name='uq_standard_conformance_months_school_id_baseline_id_month'))
    op.create_index('ix_standard_conformance_months_baseline_id_month', TABLE, ['baseline_id', 'month'])
    op.create_index(op.f('ix_standard_conformance_months_school_id'), TABLE, ['school_id'])
    if op.get_bind().dialect.name == "postgresql":
        school = op.get_bind().execute(sa.text(
            "SELECT qual FROM pg_policies WHERE policyname = 'school_scope' AND schemaname = current_schema() "
            "AND tablename = 'tickets'")).scalar_one()
        op.execute(f"ALTER TABLE {TABLE} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {TABLE} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY school_scope ON {TABLE} USING ({school}) WITH CHECK ({school})")


def downgrade():
    op.drop_table(TABLE)
