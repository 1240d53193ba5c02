"""A real `kpiboard serve` on 127.0.0.1, in its own process, for the tests that must cross a
real socket (forwarded headers, concurrent bursts): a fresh copy of the reference example,
its own application database with one admin, stopped when the test ends."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from appdb_helpers import PASSWORD
from webutil import EXAMPLE

from kpiboard.web.db import AppStore, AuditEvent, Role


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def project_copy(tmp_path: Path, dashboard: str = "") -> Path:
    """The reference example with ``dashboard`` (YAML) appended and an ``admin`` account."""
    project = tmp_path / "met"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns(".kpiboard"))
    yaml = project / "kpiboard.yaml"
    yaml.write_text(yaml.read_text(encoding="utf-8") + dashboard, encoding="utf-8")
    store = AppStore.open(AppStore.default_url(project, None))
    try:
        store.add_user("admin", PASSWORD, Role.ADMIN, "Admin")
    finally:
        store.close()
    return project


@contextmanager
def serving(project: Path) -> Iterator[str]:
    """``kpiboard serve PROJECT`` on a free port; yields its base URL once it answers."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "kpiboard", "serve", str(project), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        out = []
        for line in proc.stdout:
            out.append(line)
            if line.startswith("Dashboard: "):
                break
        assert any(line.startswith("Dashboard: ") for line in out), "".join(out)
        url = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                httpx.get(url + "/favicon.ico")
                break
            except httpx.TransportError:
                time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def audit(project: Path, limit: int = 100) -> list[AuditEvent]:
    """The served project's audit log, newest first."""
    store = AppStore.open(AppStore.default_url(project, None))
    try:
        return store.audit_log(limit)
    finally:
        store.close()
