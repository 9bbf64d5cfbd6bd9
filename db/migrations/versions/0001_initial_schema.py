"""initial schema (TEMPORARY during parallel development: regenerated as explicit DDL before landing)

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from alembic import op

from db import models

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create every table of the model."""
    models.Base.metadata.create_all(bind=op.get_bind())


def downgrade() -> None:
    """Drop every table."""
    models.Base.metadata.drop_all(bind=op.get_bind())
