"""`kpiboard outbox`: what waits to be delivered (webhook calls, e-mails) and why, and sending
what is due, for deployments that do not run `kpiboard serve` (whose background sender does it).

Run `kpiboard outbox PROJECT --send` from cron every few minutes to retry failures, send
packs at their scheduled time, and send the reminders about entered figures that are due
(each once, however often it runs).
"""

from __future__ import annotations

from typing import Annotated

import typer

from kpiboard.catalogue import load_catalogue
from kpiboard.cli.common import ProjectArg, err, fail
from kpiboard.errors import KpiboardError
from kpiboard.web.db import AppStore, Delivery
from kpiboard.web.notify import describe, remind, send_due


def _log(d: Delivery) -> None:
    err.print(f"delivery failed: {describe(d)}", markup=False)


def outbox(
    project: ProjectArg,
    send: Annotated[
        bool,
        typer.Option("--send", help="enqueue the reminders due, then send what is due now, once"),
    ] = False,
    show_all: Annotated[
        bool, typer.Option("--all", help="list delivered and given-up deliveries too")
    ] = False,
) -> None:
    """List the deliveries waiting (and why), or with --send, send those due now."""
    try:
        cat = load_catalogue(project)
        store = AppStore.open(AppStore.default_url(cat.root, cat.project.dashboard.database))
    except KpiboardError as exc:
        fail(exc)
    sent: list[Delivery] = []
    try:
        if send:
            made = remind(cat, store)  # the reminders due now about entered figures, once
            if made:
                typer.echo(f"reminders enqueued: {len(made)}")
            sent = send_due(store, cat.project.announcements, _log)
            done = sum(d.state == "delivered" for d in sent)
            typer.echo(f"sent {done} of {len(sent)} due")
        listed = store.deliveries(waiting=not show_all)
    finally:
        store.close()
    if not listed:
        typer.echo("nothing waits to be delivered" if not show_all else "the outbox is empty")
    for d in listed:
        typer.echo(describe(d))
    if any(d.state != "delivered" for d in sent):
        raise typer.Exit(1)  # so that cron tells someone; the failures are listed above
