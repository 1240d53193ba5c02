"""Running the dashboard: open the project and its application database, then uvicorn.

The CLI imports this module only when it serves (so other commands never load the web stack)."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

import uvicorn

from kpiboard.errors import KpiboardError
from kpiboard.web.app import create_app
from kpiboard.web.db import AppStore, Role
from kpiboard.web.entering import sync_approved
from kpiboard.web.service import ScorecardService

# The demo's accounts: printed by `kpiboard demo`, for a dashboard bound to 127.0.0.1 only.
DEMO_ACCOUNTS = (
    ("viewer", "kpiboard-demo-viewer", Role.VIEWER, "Board Member"),
    ("analyst", "kpiboard-demo-analyst", Role.EDITOR, "Performance Analyst"),
    ("approver", "kpiboard-demo-approver", Role.APPROVER, "Head of Performance"),
    ("admin", "kpiboard-demo-admin", Role.ADMIN, "Dashboard Administrator"),
)


def open_store(project: Path, configured: str | None) -> AppStore:
    return AppStore.open(AppStore.default_url(project, configured))


def ensure_demo_accounts(store: AppStore) -> list[tuple[str, str, Role]]:
    """Create the demo accounts that do not exist yet; returns every demo login."""
    for username, password, role, name in DEMO_ACCOUNTS:
        if store.user(username) is None:
            store.add_user(username, password, role, name)
    return [(u, p, r) for u, p, r, _ in DEMO_ACCOUNTS]


def check_port(host: str, port: int) -> None:
    """A clear error before uvicorn starts when the address cannot be served."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise KpiboardError(
            f"cannot serve on {host}: {exc.strerror}",
            hint="give --host an address such as 127.0.0.1",
        ) from None
    family, _, _, _, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(address)
        except OSError as exc:
            raise KpiboardError(
                f"cannot serve on {host}:{port}: {exc.strerror}",
                hint="another program uses the port; pass --port with a free one",
            ) from None


def serve(
    project: Path,
    host: str,
    port: int,
    *,
    announce: Callable[[str], None] = print,
    demo: bool = False,
    warehouse: str | None = None,
) -> None:
    """Open the project and serve its dashboard until interrupted; ``warehouse``: a URL used
    instead of the project's setting (``serve --warehouse``)."""
    check_port(host, port)
    service = ScorecardService.open(project, warehouse)
    settings = service.catalogue.project.dashboard
    store = open_store(project, settings.database)
    try:
        if demo:
            for username, password, role in ensure_demo_accounts(store):
                announce(f"  demo login: {username} / {password}  ({role.value})")
        elif not store.users():
            announce(
                "No accounts yet: add one with `kpiboard users add PROJECT NAME --role admin`."
            )
        # the warehouse holds exactly the approved entered figures: one rebuilt from the data
        # files, or approvals made while another server ran, are caught up (docs/ENTRY.md)
        if store.approved_entries():
            caught_up = sync_approved(service, store, "kpiboard serve")
            if caught_up is not None:
                announce(f"Approved entered figures loaded as vintage {caught_up}.")
        app = create_app(service, store, settings)
        announce(f"Dashboard: http://{host}:{port}/  (Ctrl-C to stop)")
        # forwarded headers are the app's decision (dashboard.trusted_proxies), never uvicorn's
        # default of believing any process on 127.0.0.1
        uvicorn.run(
            app,
            host=host,
            port=port,
            log_level="warning",
            access_log=False,
            proxy_headers=False,
        )
    finally:
        store.close()
        service.close()
