"""asset import runs: an uploaded register file, its preview and the job that writes it

Revision ID: 0010
Revises: 0011

Row-level security on PostgreSQL: a trust-wide run (school NULL) is the trust's, a school's run
that school's, the very policy articles and licences have (read from the catalogue).
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('asset_import_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('date_order', sa.String(length=3), nullable=True),
    sa.Column('valid_rows_only', sa.Boolean(), nullable=False),
    sa.Column('create_categories', sa.Boolean(), nullable=False),
    sa.Column('preview', sa.JSON(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('created', sa.Integer(), nullable=False),
    sa.Column('updated', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('trust_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_asset_import_runs_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_asset_import_runs_school_id_schools'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['trust_id'], ['trusts.id'], name=op.f('fk_asset_import_runs_trust_id_trusts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_asset_import_runs'))
    )
    with op.batch_alter_table('asset_import_runs', schema=None) as batch_op:
        batch_op.create_index('ix_asset_import_runs_trust_id_id', ['trust_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_asset_import_runs_school_id'), ['school_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_asset_import_runs_trust_id'), ['trust_id'], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        condition = op.get_bind().execute(sa.text(
            "SELECT qual FROM pg_policies WHERE policyname = 'school_scope' AND schemaname = current_schema() "
            "AND tablename = 'articles'")).scalar_one()
        op.execute("ALTER TABLE asset_import_runs ENABLE ROW LEVEL SECURITY")
        op.execute("ALTER TABLE asset_import_runs FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY school_scope ON asset_import_runs USING ({condition}) WITH CHECK ({condition})")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP POLICY IF EXISTS school_scope ON asset_import_runs")
    with op.batch_alter_table('asset_import_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_asset_import_runs_trust_id'))
        batch_op.drop_index(batch_op.f('ix_asset_import_runs_school_id'))
        batch_op.drop_index('ix_asset_import_runs_trust_id_id')
    op.drop_table('asset_import_runs')
