"""Intune sync: the tenants a trust syncs, its mapping rules for new devices, and its sync runs

Revision ID: 0011
Revises: 0009

Trust-level tables, filtered by trust like the sign-in settings: `asset_sync_mappings.school_id`
is the school a rule sends devices to, not an owner, so none of them is school-scoped.
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('asset_sync_tenants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trust_id', sa.Integer(), nullable=False),
    sa.Column('entra_tenant_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['entra_tenant_id'], ['entra_tenants.id'], name=op.f('fk_asset_sync_tenants_entra_tenant_id_entra_tenants'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['trust_id'], ['trusts.id'], name=op.f('fk_asset_sync_tenants_trust_id_trusts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_asset_sync_tenants')),
    sa.UniqueConstraint('entra_tenant_id', name=op.f('uq_asset_sync_tenants_entra_tenant_id'))
    )
    with op.batch_alter_table('asset_sync_tenants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_asset_sync_tenants_trust_id'), ['trust_id'], unique=False)

    op.create_table('asset_sync_mappings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trust_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('value', sa.String(length=200), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_asset_sync_mappings_school_id_schools'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['trust_id'], ['trusts.id'], name=op.f('fk_asset_sync_mappings_trust_id_trusts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_asset_sync_mappings'))
    )
    with op.batch_alter_table('asset_sync_mappings', schema=None) as batch_op:
        batch_op.create_index('ix_asset_sync_mappings_trust_id_position', ['trust_id', 'position'], unique=False)

    op.create_table('asset_sync_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trust_id', sa.Integer(), nullable=False),
    sa.Column('entra_tenant_id', sa.Integer(), nullable=True),
    sa.Column('tenant_label', sa.String(length=250), nullable=False),
    sa.Column('trigger', sa.String(length=20), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('devices', sa.Integer(), nullable=False),
    sa.Column('created', sa.Integer(), nullable=False),
    sa.Column('updated', sa.Integer(), nullable=False),
    sa.Column('unchanged', sa.Integer(), nullable=False),
    sa.Column('unseen', sa.Integer(), nullable=False),
    sa.Column('skipped', sa.Integer(), nullable=False),
    sa.Column('unplaced', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['entra_tenant_id'], ['entra_tenants.id'], name=op.f('fk_asset_sync_runs_entra_tenant_id_entra_tenants'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_asset_sync_runs_requested_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['trust_id'], ['trusts.id'], name=op.f('fk_asset_sync_runs_trust_id_trusts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_asset_sync_runs'))
    )
    with op.batch_alter_table('asset_sync_runs', schema=None) as batch_op:
        batch_op.create_index('ix_asset_sync_runs_trust_id_id', ['trust_id', 'id'], unique=False)

    # The sync finds a device by its Intune id first (a serial can be blank or change on a new board).
    with op.batch_alter_table('assets', schema=None) as batch_op:
        batch_op.create_index('ix_assets_trust_id_intune_device_id', ['trust_id', 'intune_device_id'], unique=False)


def downgrade():
    with op.batch_alter_table('assets', schema=None) as batch_op:
        batch_op.drop_index('ix_assets_trust_id_intune_device_id')
    with op.batch_alter_table('asset_sync_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_asset_sync_runs_trust_id_id')
    op.drop_table('asset_sync_runs')
    with op.batch_alter_table('asset_sync_mappings', schema=None) as batch_op:
        batch_op.drop_index('ix_asset_sync_mappings_trust_id_position')
    op.drop_table('asset_sync_mappings')
    with op.batch_alter_table('asset_sync_tenants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_asset_sync_tenants_trust_id'))
    op.drop_table('asset_sync_tenants')
