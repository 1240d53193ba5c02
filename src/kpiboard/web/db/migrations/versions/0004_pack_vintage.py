"""A published pack pins the warehouse vintage it was built from, so that a figure revised by a
later load can be marked "revised since published" (docs/VINTAGES.md). Nullable: packs
published before this revision were not pinned.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # ADD COLUMN changes no row, so the append-only triggers let it through
    op.add_column("publications", sa.Column("vintage", sa.Integer(), nullable=True))


def downgrade() -> None:
    # not batch mode: SQLite's copy-and-rename would drop the table's append-only triggers
    op.drop_column("publications", "vintage")
