"""Indexes for the sign-in housekeeping, which deletes login attempts older than the
throttle's look-back and sessions that ended or expired more than 30 days ago: without them
each successful sign-in would scan both tables.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (index, table, column): the names the models' naming convention gives them
INDEXES = (
    ("ix_login_attempts_at", "login_attempts", "at"),
    ("ix_sessions_expires_at", "sessions", "expires_at"),
    ("ix_sessions_ended_at", "sessions", "ended_at"),
)


def upgrade() -> None:
    for name, table, column in INDEXES:
        op.create_index(name, table, [column], unique=False)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
