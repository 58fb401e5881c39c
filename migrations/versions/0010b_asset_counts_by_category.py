"""trust-wide counts of a category narrowed by dates, read from one covering index

Revision ID: 0010b
Revises: 0010

"Laptops out of warranty" across 150 schools counted every asset of the trust (a scan of the
register, 180–330 ms at 431 281 assets); led by the category, with the columns the counts and the
date filters need carried in the index, it reads only that category's entries.
"""
from alembic import op

revision = '0010b'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_assets_category_warranty", "assets", ["category_id", "warranty_ends_on"],
                    postgresql_include=["school_id", "status", "replacement_due_on", "purchased_on"])


def downgrade():
    op.drop_index("ix_assets_category_warranty", table_name="assets")
