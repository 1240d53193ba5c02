"""A Spark warehouse's session (docs/SPARK.md).

``warehouse:`` (or ``--warehouse``) names a Spark master as Spark writes it
(kpiboard.warehouse.spark_target reads it):

- ``local[N]`` (or ``local``, ``local[*]``): Spark in this process, N worker threads;
- ``spark://HOST:7077``: a standalone cluster's master;
- ``sc://HOST:15002``: a Spark Connect server (``sc://localhost:15002/;token=T`` for one that
  wants a token).

A process runs one Spark driver (one JVM, one SparkContext); every warehouse opened in it gets
a session of its own on that driver (``newSession``), so their table names never meet. Before
the JVM starts, what usually goes wrong is checked and said plainly: Java missing, PySpark not
installed, a master or Connect server that does not answer (a TCP probe with a short timeout,
instead of Spark's own retries, which take minutes). Through a Spark Connect server there is no
JVM here: each warehouse is a session of its own on the server, once its client's packages are
found, the server answers as one (a port that accepts connections and says nothing would hold
the client in its retries for minutes) and takes the token it wants: the first words with it
are kpiboard.warehouse.spark_connect's. A process does not mix the two kinds.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
from pathlib import Path
from typing import Any

from kpiboard.errors import KpiboardError
from kpiboard.redaction import redact
from kpiboard.warehouse.spark_target import SparkUrl as SparkUrl
from kpiboard.warehouse.spark_target import spark_url as spark_url

# gRPC's core logs every failed TLS handshake with a Spark Connect server on stderr, as INFO,
# several a second (kpiboard.warehouse.spark_connect says what went wrong instead). It reads the
# setting once, as grpc is first imported (by PySpark, later than this module): so here.
os.environ.setdefault("GRPC_VERBOSITY", "ERROR")

#: How long a master or Connect server has to accept a TCP connection before it is unreachable.
PROBE_SECONDS = 3.0
#: Shuffle partitions of a local session: Spark's default (200) is for clusters; a local run
#: of a few thousand rows spends its time scheduling empty tasks.
LOCAL_SHUFFLE_PARTITIONS = 4
JAVA_HINT = (
    "Spark runs on Java 17: install it (`make java`, or `apt-get install "
    "openjdk-17-jre-headless` on Debian) or set JAVA_HOME to a Java 17 installation"
)
PYSPARK_HINT = "install Spark support: pip install 'kpiboard[spark]'"


def probe(target: SparkUrl, seconds: float = PROBE_SECONDS) -> None:
    """KpiboardError naming the URL when its master (or Connect server) does not accept a TCP
    connection within ``seconds``."""
    if target.local:
        return
    assert target.host is not None and target.port is not None
    try:
        with socket.create_connection((target.host, target.port), timeout=seconds):
            pass
    except OSError as exc:
        why = "no answer" if isinstance(exc, TimeoutError) else (exc.strerror or str(exc))
        what = "Spark Connect server" if target.kind == "sc" else "Spark master"
        raise KpiboardError(
            f"cannot reach the {what} at {target.shown}: {why} (within {seconds:g} s)",
            hint="check `warehouse:` in kpiboard.yaml (or --warehouse), that the server is "
            "running and that this machine may reach its port",
        ) from None


def java_executable() -> str | None:
    """The java Spark will start: JAVA_HOME's when set, else the first on PATH."""
    home = os.environ.get("JAVA_HOME")
    if home:
        candidate = Path(home) / "bin" / "java"
        return str(candidate) if os.access(candidate, os.X_OK) else None
    return shutil.which("java")


def check_java() -> None:
    """KpiboardError saying how to install Java when there is none to start Spark with."""
    if java_executable() is None:
        home = os.environ.get("JAVA_HOME")
        where = f"JAVA_HOME={home} has no bin/java" if home else "no `java` on PATH"
        raise KpiboardError(f"cannot start Spark: Java is not installed ({where})", hint=JAVA_HINT)


_driver_lock = threading.Lock()
_driver: Any = None  # the process's SparkSession (classic): every warehouse's newSession()
_driver_master: str | None = None
#: The Spark Connect server this process has a session on: PySpark then marks the whole process
#: as a Connect client, and a driver of its own would not start as one
_connected: str | None = None


def _one_kind(target: SparkUrl) -> None:
    """KpiboardError when ``target`` would mix a Spark driver of this process's own and Spark
    Connect in one process, which PySpark does not do."""
    other = _connected if target.kind != "sc" else _driver_master
    if other is not None:
        raise KpiboardError(
            f"this process already runs Spark on {redact(other)}, not {target.shown}",
            hint="one process uses either a Spark driver of its own (local[N], spark://) or "
            "Spark Connect servers (sc://): run the other in a process of its own",
        )


_scratch_dir: tempfile.TemporaryDirectory[str] | None = None


def _scratch() -> str:
    """The driver's (empty) managed-table folder: one a process, removed when it exits, so
    Spark commands leave no folder behind in the temporary directory."""
    global _scratch_dir
    if _scratch_dir is None:
        _scratch_dir = tempfile.TemporaryDirectory(
            prefix="kpiboard-spark-", ignore_cleanup_errors=True
        )
    return _scratch_dir.name


def _builder(target: SparkUrl) -> Any:
    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.master(target.text)
        .appName("kpiboard")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        # kpiboard keeps no managed tables; ibis would otherwise make spark-warehouse/ in the
        # current folder, and a second run fail on it (LOCATION_ALREADY_EXISTS)
        .config("spark.sql.warehouse.dir", _scratch())
    )
    if target.local:
        builder = builder.config("spark.sql.shuffle.partitions", str(LOCAL_SHUFFLE_PARTITIONS))
    # errors only, from the JVM's start: not Spark's banner and warnings on a command's stderr
    quiet = Path(__file__).with_name("spark-log4j2.properties")
    builder = builder.config(
        "spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile=file:{quiet}"
    )
    return builder


def _start_driver(target: SparkUrl) -> Any:
    global _driver, _driver_master
    with _driver_lock:
        if _driver is not None:
            if _driver_master != target.text:
                raise KpiboardError(
                    f"this process already runs Spark on {redact(_driver_master or '')}, "
                    f"not {target.shown}",
                    hint="one process talks to one Spark master: run the other in a process "
                    "of its own",
                )
            return _driver
        _one_kind(target)
        check_java()
        if target.local:
            # else Spark binds the machine's outward address, and warns that it did
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        try:
            session = _builder(target).getOrCreate()
        except Exception as exc:  # the JVM did not start: the message is all there is to say
            raise KpiboardError(
                f"cannot start Spark on {target.shown}: "
                f"{target.scrub(str(exc).strip().splitlines()[0])}",
                hint=JAVA_HINT,
            ) from exc
        session.sparkContext.setLogLevel("ERROR")
        _driver, _driver_master = session, target.text
        return session


def require_pyspark(target: SparkUrl) -> None:
    """KpiboardError saying how to add Spark support when PySpark is not installed."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise KpiboardError(
            f"the warehouse {target.shown} is Spark, and PySpark is not installed",
            hint=PYSPARK_HINT,
        ) from None


def _connect_session(target: SparkUrl) -> Any:
    """A session of its own on the Spark Connect server ``target`` names."""
    global _connected
    from kpiboard.warehouse.spark_connect import check_client, open_session

    with _driver_lock:
        _one_kind(target)
        check_client(target)
        session = open_session(target)
        _connected = target.text
        return session


def spark_session(target: SparkUrl) -> Any:
    """A SparkSession of its own (its own temporary views) for one warehouse on ``target``."""
    require_pyspark(target)
    probe(target)
    if target.kind == "sc":
        return _connect_session(target)
    return _start_driver(target).newSession()
