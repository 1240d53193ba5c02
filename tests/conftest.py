"""Shared fixtures: a tiny project writer and a real PostgreSQL server for warehouse tests.

The PostgreSQL fixture starts a private server from the distribution's binaries (CI runs as
root on a fresh machine, and postgres refuses to run as root, so it runs as the `postgres`
OS user). Set KPIBOARD_TEST_POSTGRES_URL to use an existing server instead. A real Spark
Connect server, `spark_connect` (and `spark_connect_token`, one that wants a token, for one
module), comes from tests/spark_connect_server.py.
"""

from __future__ import annotations

import faulthandler
import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from spark_connect_server import (  # noqa: F401 - the Spark Connect servers' fixtures
    spark_connect,
    spark_connect_token,
)

PROJECT_YAML = """\
title: Test scorecard
organisation: MPS
organisations:
  - id: MPS
    name: Metropolitan Police Service
    aliases: [Met, Metropolitan]
  - id: GMP
    name: Greater Manchester Police
  - id: WMP
    name: West Midlands Police
population: population
"""

MEASURES_YAML = """\
measures:
  - id: burglary
    title: Residential burglary
    kind: count
    polarity: lower_is_better
  - id: robbery
    title: Robbery
    kind: count
    polarity: lower_is_better
    parent: sac
  - id: vehicle
    title: Vehicle crime
    kind: count
    polarity: lower_is_better
    parent: sac
  - id: sac
    title: Serious acquisitive crime
    kind: composite
    polarity: lower_is_better
  - id: confidence
    title: Public confidence
    kind: proportion
    unit: "%"
  - id: confidence_bme
    title: Public confidence (BME)
    kind: proportion
    unit: "%"
  - id: confidence_gap
    title: Confidence gap
    kind: difference
    of: [confidence, confidence_bme]
  - id: budget
    title: Budget variance
    kind: snapshot
    unit: "£m"
  - id: response_time
    title: Mean response time
    kind: mean
  - id: population
    title: Resident population
    kind: snapshot
    hidden: true
  - id: burglary_rate
    title: Burglary per 1,000 residents
    kind: per_population
    per: 1000
"""

GOOD_CSV = """\
org,measure,period_end,months,numerator,denominator,value,sample_size,provisional,note
MPS,burglary,2009-07,1,7000,,,,,
MPS,burglary,2009-08,1,6543,,,,yes,provisional figure
Met,robbery,2009-08,,2500,,,,,
GMP,burglary,2009-08,1,1200,,,,no,
MPS,confidence,2009-06,12,7730,10000,,,,
MPS,confidence,2009-03,12,,,77.7,9800,,
MPS,budget,2009-08,1,,,-1.5,,,overspend
MPS,response_time,2009-08,1,,,-0.5,,,
"""

ProjectFactory = Callable[..., Path]


@pytest.fixture
def make_project(tmp_path: Path) -> ProjectFactory:
    """Write a small project into tmp_path and return its root.

    ``files`` maps project-relative paths to text (or bytes, written as they are);
    ``project_extra`` is appended to kpiboard.yaml (e.g. ``"warehouse: ..."``).
    """

    def make(
        files: dict[str, str | bytes] | None = None,
        project_extra: str = "",
        root: Path | None = None,
    ) -> Path:
        root = root or tmp_path / "project"
        (root / "measures").mkdir(parents=True, exist_ok=True)
        (root / "kpiboard.yaml").write_text(PROJECT_YAML + project_extra, encoding="utf-8")
        (root / "measures" / "crime.yaml").write_text(MEASURES_YAML, encoding="utf-8")
        for rel, content in (files if files is not None else {"data/crime.csv": GOOD_CSV}).items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        return root

    return make


# --- PostgreSQL -----------------------------------------------------------------------------


def _pg_bindir() -> Path | None:
    """Where initdb and pg_ctl live: $PG_BINDIR, the newest /usr/lib/postgresql/*/bin, or PATH."""
    if os.environ.get("PG_BINDIR"):
        return Path(os.environ["PG_BINDIR"])
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: (
            int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0
        ),
    )
    if candidates:
        return Path(candidates[-1]).parent
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_server_user(args: list[str]) -> list[str]:
    """postgres refuses to run as root: run it as the `postgres` user when we are root."""
    if os.geteuid() != 0:
        return args
    return ["runuser", "-u", "postgres", "--", *args]


PASSWORD_ROLE = "kpiboard_pw"
ROLE_PASSWORD = "right-pw-3f9a1c"
_password_url: str | None = None


@pytest.fixture(scope="session")
def postgres_password_url(postgres_url: str) -> str:
    """A URL, with its right password, to a database owned by the one role of the test server
    whose password is checked (scram-sha-256): a wrong one is refused as on a real server."""
    if _password_url is None:
        pytest.skip("KPIBOARD_TEST_POSTGRES_URL names a server of its own: no such role there")
    return _password_url


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A URL to a database `kpiboard` on a private, throw-away PostgreSQL server."""
    existing = os.environ.get("KPIBOARD_TEST_POSTGRES_URL")
    if existing:
        yield existing
        return
    pytest.importorskip(
        "psycopg", reason="psycopg is not installed (pip install 'psycopg[binary]')"
    )
    bindir = _pg_bindir()
    if bindir is None or not (bindir / "pg_ctl").exists():
        pytest.skip("PostgreSQL server binaries not found (install postgresql or set PG_BINDIR)")
    owner: tuple[int, int] | None = None
    if os.geteuid() == 0:
        import pwd

        try:
            pw = pwd.getpwnam("postgres")
            owner = (pw.pw_uid, pw.pw_gid)
        except KeyError:
            pytest.skip("running as root but there is no `postgres` OS user to run the server as")
        if shutil.which("runuser") is None:
            pytest.skip("running as root and `runuser` is missing")

    # Not tmp_path_factory: pytest's base temp dir is private to root (mode 700), and the
    # server runs as `postgres`, so it needs a directory it can reach.
    base = Path(tempfile.mkdtemp(prefix="kpiboard-pg-"))
    if owner is not None:
        os.chown(base, *owner)
    data, log, port = base / "data", base / "server.log", _free_port()

    def run(args: list[str]) -> None:
        done = subprocess.run(_as_server_user(args), capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            detail = (done.stdout + done.stderr).strip()
            if log.exists():
                detail += "\n" + log.read_text(errors="replace")[-2000:]
            pytest.fail(f"{' '.join(args[:1])} failed:\n{detail}", pytrace=False)

    run(
        [
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        ]
    )
    # one role whose password is checked (every other local connection is trusted), so that
    # a wrong password is refused by the server as on a real one: postgres_password_url
    hba = data / "pg_hba.conf"
    hba.write_text(f"host all {PASSWORD_ROLE} 127.0.0.1/32 scram-sha-256\n" + hba.read_text())
    options = (
        f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={base} "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    )
    run(
        [
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(log),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        ]
    )
    try:
        import psycopg

        for _ in range(50):  # pg_ctl -w waits, but be tolerant of a slow first accept
            try:
                with psycopg.connect(
                    f"postgresql://postgres@127.0.0.1:{port}/postgres", autocommit=True
                ) as conn:
                    conn.execute("CREATE DATABASE kpiboard")
                    conn.execute(f"CREATE ROLE {PASSWORD_ROLE} LOGIN PASSWORD '{ROLE_PASSWORD}'")
                    conn.execute(f"CREATE DATABASE {PASSWORD_ROLE} OWNER {PASSWORD_ROLE}")
                break
            except psycopg.OperationalError:
                time.sleep(0.2)
        else:
            pytest.fail("PostgreSQL started but does not accept connections", pytrace=False)
        global _password_url
        _password_url = (
            f"postgres://{PASSWORD_ROLE}:{ROLE_PASSWORD}@127.0.0.1:{port}/{PASSWORD_ROLE}"
        )
        yield f"postgres://postgres@127.0.0.1:{port}/kpiboard"
    finally:
        subprocess.run(
            _as_server_user(
                [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]
            ),
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(base, ignore_errors=True)


SPARK_MASTER = "local[2]"  # small and local, so the suite stays within its time


@pytest.fixture(scope="session")
def spark_master() -> str:
    """A Spark master URL for a Spark warehouse, its driver (one per process) started once: the
    tests' warehouses each get a session of their own on it (kpiboard.warehouse.spark_session).
    Skipped only where PySpark or Java is missing (`make test` installs both)."""
    pytest.importorskip(
        "pyspark", reason="PySpark is not installed (pip install 'kpiboard[spark]')"
    )
    from kpiboard.warehouse.spark_session import java_executable, spark_session, spark_url

    if java_executable() is None:
        pytest.skip("Java is missing (make java, or apt-get install openjdk-17-jre-headless)")
    target = spark_url(SPARK_MASTER)
    assert target is not None
    spark_session(target)  # the driver starts here, once; each warehouse has its own session
    return SPARK_MASTER


#: Seconds the test process may take to exit once the session is over.
EXIT_GRACE_SECONDS = 120


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """Once every test has run, the process must exit. It hung at exit, after the summary, in
    three runs out of about ten on 2026-11-27 (while other suites ran beside it; never since,
    cause not found: native threads of the libraries loaded were still alive). If it hangs
    again, the stacks of every Python thread are written to stderr and the process ends with
    status 1 after EXIT_GRACE_SECONDS, rather than holding CI until its time limit."""
    faulthandler.dump_traceback_later(EXIT_GRACE_SECONDS, exit=True, file=sys.__stderr__)
