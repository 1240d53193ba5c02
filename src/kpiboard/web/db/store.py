"""AppStore: the dashboard's users, sessions, commentary, publications and audit log.

Every method opens its own short database transaction, so one AppStore can serve many
threads. Everything that changes state writes its audit event in the same transaction.
Commentary revisions, publications and audit events are append-only: there is no method to
change or remove one, and the database's triggers refuse it too.

>>> store = AppStore.open("sqlite://")  # in memory; a project uses AppStore.default_url(...)
>>> alice = store.add_user("alice", "correct horse battery", Role.EDITOR)
>>> store.save_commentary("MPS", "burglary", "2009-08", "Down 6%.", alice).number
1
>>> store.close()
"""

from __future__ import annotations

from kpiboard.web import DEFAULT_DB
from kpiboard.web.db._base import StoreBase
from kpiboard.web.db.accounts import Accounts
from kpiboard.web.db.entities import Role
from kpiboard.web.db.entries import Entries
from kpiboard.web.db.external import ExternalAccounts
from kpiboard.web.db.outbox import Outbox
from kpiboard.web.db.reminders import Reminders
from kpiboard.web.db.subscriptions import Subscriptions

__all__ = ["DEFAULT_DB", "AppStore", "Role", "StoreBase"]


class AppStore(Accounts, ExternalAccounts, Entries, Outbox, Reminders, Subscriptions):
    """The application database. Open with :meth:`open`; share one per process.

    Its parts: :class:`~kpiboard.web.db.accounts.Accounts` (users, sign-in, sessions),
    :class:`~kpiboard.web.db.external.ExternalAccounts` (sign-in through an identity provider)
    :class:`~kpiboard.web.db.records.Records` (commentary, publications, audit log),
    :class:`~kpiboard.web.db.entries.Entries` (figures entered by their owners and approved),
    :class:`~kpiboard.web.db.outbox.Outbox` (webhook calls and e-mails until delivered),
    :class:`~kpiboard.web.db.reminders.Reminders` (reminders about entered figures sent, and
    people's opt-outs) and
    :class:`~kpiboard.web.db.subscriptions.Subscriptions` (addresses, subscriptions), on the
    shared plumbing of :class:`~kpiboard.web.db._base.StoreBase`.
    """
