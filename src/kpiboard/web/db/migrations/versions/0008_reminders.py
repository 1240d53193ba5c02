"""Reminders about entered figures (docs/ENTRY.md): the key of every reminder put in the
outbox, so each is sent once, and the kinds of reminder each person does not want e-mailed.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reminders_sent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org", sa.String(length=64), nullable=False),
        sa.Column("measure", sa.String(length=128), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("recipient", sa.String(length=2000), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminders_sent")),
        sa.UniqueConstraint(
            "org",
            "measure",
            "month",
            "kind",
            "recipient",
            "step",
            name=op.f("uq_reminders_sent_org_measure_month_kind_recipient_step"),
        ),
    )
    op.create_index(op.f("ix_reminders_sent_month"), "reminders_sent", ["month"])
    op.create_table(
        "reminder_optouts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_reminder_optouts_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_optouts")),
        sa.UniqueConstraint("user_id", "kind", name=op.f("uq_reminder_optouts_user_id_kind")),
    )
    op.create_index(op.f("ix_reminder_optouts_user_id"), "reminder_optouts", ["user_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_reminder_optouts_user_id"), table_name="reminder_optouts")
    op.drop_table("reminder_optouts")
    op.drop_index(op.f("ix_reminders_sent_month"), table_name="reminders_sent")
    op.drop_table("reminders_sent")
