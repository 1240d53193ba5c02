"""A real Spark Connect server for the tests (docs/SPARK.md), started from the pip PySpark
distribution (`spark-submit --class ...SparkConnectServer`, the server jar PySpark ships) on
127.0.0.1 and a free port, `local[2]`, small memory, no UI; waited for until its gRPC port
is bound (once its service runs), stopped when the session ends; its log is shown when it does
not start (and by the tests' own failure messages: :meth:`ConnectServer.log_tail`).

Skipped only where Java or the client (PySpark, grpcio) is missing, and never on CI (`CI` set),
where `make test` installs them: there a missing one fails the tests instead.

When the tests run as root and `unshare` works, the server runs in a mount namespace of its
own where two folders differ from what the tests see: ``hidden`` is an empty tmpfs (as a
server on another machine sees its own disk) and ``read_only`` is mounted read-only (a folder
the server's user cannot write), so those two mistakes are tested against the real server.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

#: Seconds the server has to start: a guard against a hang, not a timing (about 20 s here).
START_GUARD_SECONDS = 240


@dataclass(frozen=True)
class ConnectServer:
    url: str
    log: Path
    #: folders the server sees otherwise than the tests (None: no mount namespace here)
    hidden: Path | None
    read_only: Path | None
    #: the token it wants (None: it wants none)
    token: str | None = None

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def log_tail(self, chars: int = 4000) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return f"\n--- the Spark Connect server's log ({self.log}), its end ---\n{text[-chars:]}"


def _missing(why: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{why}: on CI the Spark Connect tests must run", pytrace=False)
    pytest.skip(why)


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ImportError:  # its parent package is missing
        return False


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _namespace(base: Path) -> tuple[list[str], Path, Path] | None:
    """The command prefix that runs the server in a mount namespace of its own with ``hidden``
    and ``read_only`` as the module says; None when this machine cannot (not root, no unshare,
    or a container that forbids it)."""
    unshare = shutil.which("unshare")
    if os.geteuid() != 0 or unshare is None:
        return None
    hidden, read_only = base / "hidden", base / "read-only"
    hidden.mkdir()
    read_only.mkdir()
    setup = (
        f"mount -t tmpfs tmpfs {hidden} && mount --bind {read_only} {read_only} "
        f"&& mount -o remount,bind,ro {read_only} {read_only}"
    )
    prefix = [unshare, "--mount", "--propagation", "private", "sh", "-c"]
    tried = subprocess.run([*prefix, setup], capture_output=True, timeout=30)
    if tried.returncode != 0:
        return None
    return [*prefix, f'{setup} && exec "$@"', "sh"], hidden, read_only


def _ready(port: int) -> bool:
    """The server's gRPC port is bound once its service runs. A TCP probe, not a gRPC channel:
    no gRPC threads in the test process."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is not None:
        return
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=30)


@pytest.fixture(scope="session")
def spark_connect() -> Iterator[ConnectServer]:
    """A Spark Connect server on 127.0.0.1 for the whole test session (no token)."""
    yield from _serve(token=None)


#: The token the token-protected server wants (a test's, not a secret).
TOKEN = "kpiboard-test-token-7f3a9c"


@pytest.fixture(scope="module")
def spark_connect_token() -> Iterator[ConnectServer]:
    """A Spark Connect server that wants :data:`TOKEN` (``spark.connect.authenticate.token``),
    for one test module: ``url`` is ``sc://127.0.0.1:PORT``, without it."""
    yield from _serve(token=TOKEN)


def _serve(token: str | None) -> Iterator[ConnectServer]:
    """Start a server (a token-protected one when ``token`` is given, without the mount
    namespace the session's server has), yield it once it answers, stop it."""
    client = ("pyspark", "grpc", "grpc_status", "google.rpc", "google.protobuf")
    absent = [name for name in client if not _installed(name)]
    if absent:
        _missing(
            f"Spark Connect's client is not installed ({', '.join(absent)} missing): pip "
            "install 'kpiboard[spark]'"
        )
    import pyspark

    from kpiboard.warehouse.spark_session import java_executable

    if java_executable() is None:
        _missing("Java is missing (make java, or apt-get install openjdk-17-jre-headless)")
    home = Path(pyspark.__file__).parent
    base = Path(tempfile.mkdtemp(prefix="kpiboard-connect-"))
    port, log = _free_port(), base / "server.log"
    namespace = _namespace(base) if token is None else None
    prefix, hidden, read_only = namespace if namespace else ([], None, None)
    command = [
        *prefix,
        str(home / "bin" / "spark-submit"),
        "--master",
        "local[2]",
        "--driver-memory",
        "512m",
        "--class",
        "org.apache.spark.sql.connect.service.SparkConnectServer",
        "--name",
        "kpiboard-tests",
    ]
    for key, value in {
        "spark.connect.grpc.binding.address": "127.0.0.1",
        "spark.connect.grpc.binding.port": str(port),
        "spark.ui.enabled": "false",
        "spark.sql.shuffle.partitions": "4",  # a scorecard's queries are small
        "spark.sql.warehouse.dir": str(base / "spark-warehouse"),
        **({"spark.connect.authenticate.token": token} if token else {}),
    }.items():
        command += ["--conf", f"{key}={value}"]
    command.append("spark-internal")
    env = {**os.environ, "SPARK_HOME": str(home), "SPARK_LOCAL_IP": "127.0.0.1"}
    env.pop("SPARK_CONNECT_AUTHENTICATE_TOKEN", None)  # a server reads its token from it too
    url = f"sc://127.0.0.1:{port}"
    with open(log, "wb") as out:
        server = subprocess.Popen(
            command,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=base,
            start_new_session=True,
        )
    found = ConnectServer(url, log, hidden, read_only, token)
    try:
        deadline = time.monotonic() + START_GUARD_SECONDS
        while not _ready(port):
            if server.poll() is not None:
                pytest.fail(
                    f"the Spark Connect server exited ({server.returncode}) before it answered"
                    + found.log_tail(),
                    pytrace=False,
                )
            if time.monotonic() > deadline:
                pytest.fail(
                    f"the Spark Connect server did not answer within {START_GUARD_SECONDS} s"
                    + found.log_tail(),
                    pytrace=False,
                )
            time.sleep(0.5)
        yield found
    finally:
        _stop(server)
        shutil.rmtree(base, ignore_errors=True)
