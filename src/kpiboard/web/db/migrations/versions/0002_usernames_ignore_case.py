"""Usernames ignore case: a unique index on lower(username), and the throttle's record of
sign-in attempts keyed by the lower-cased name.

Stops, changing nothing, when two users' names differ only in case (they would be one account):
the error names them and says to rename all but one with `kpiboard users rename`.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from kpiboard.web.db.errors import UsernamesDifferOnlyInCase
from kpiboard.web.db.rules import username_key

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _same_ignoring_case(conn: sa.Connection) -> list[list[str]]:
    names = conn.execute(sa.text("SELECT username FROM users ORDER BY username")).scalars()
    groups: dict[str, list[str]] = {}
    for name in names:
        groups.setdefault(username_key(name), []).append(name)
    return [group for _, group in sorted(groups.items()) if len(group) > 1]


def upgrade() -> None:
    conn = op.get_bind()
    clashes = _same_ignoring_case(conn)
    if clashes:
        raise UsernamesDifferOnlyInCase(clashes)
    op.create_index("uq_users_lower_username", "users", [sa.text("lower(username)")], unique=True)
    # The per-username throttle now counts "Admin" and "admin" together: key earlier attempts so.
    typed = (
        conn.execute(
            sa.text(
                "SELECT DISTINCT username FROM login_attempts WHERE username <> lower(username)"
            )
        )
        .scalars()
        .all()
    )
    for name in typed:
        if username_key(name) != name:
            conn.execute(
                sa.text("UPDATE login_attempts SET username = :key WHERE username = :name"),
                {"key": username_key(name), "name": name},
            )


def downgrade() -> None:
    op.drop_index("uq_users_lower_username", table_name="users")
