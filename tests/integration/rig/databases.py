"""Real database servers for the DB-whitelist tests: PostgreSQL 15 and MariaDB on loopback.

Each server gets its own data directory under `base_dir`, a free TCP port on 127.0.0.1
chosen at run time, a database `qmilter` and a user `qmilter` whose password holds URL and
ODBC metacharacters (so the tests exercise the escaping of both). start() waits - with a
deadline - until the server accepts connections; stop() shuts it down (fast) and is safe
to call twice and after a failed start; start() again on the same object restarts the
same server with the same data and port (the tests' "database restart").

    with PostgresServer(tmp) as pg:     # or MariaDbServer(tmp)
        pg.url        -> postgresql://qmilter:<escaped>@127.0.0.1:<port>/qmilter
        pg.sql("SELECT 1")  -> the client's output (tab-separated, no headers)

The tests run the servers with their flushes off (fast, nothing to keep); durable=True keeps
each server's own defaults (PostgreSQL's fsync and synchronous_commit = on, InnoDB's flush at
every commit), for benchmarks that measure what a commit costs on the disk.

PostgreSQL refuses to run as root: its processes run as the `postgres` system user, so the
base directory must be traversable by it (0755). MariaDB runs as root (--user=root).
"""

import os
import shutil
import signal
import subprocess
import tempfile
import urllib.parse
from contextlib import contextmanager
from typing import Iterator, List, Optional

from .logfile import LogFile
from .ports import free_port, tcp_port_listening
from .waiting import wait_until

PG_BIN = "/usr/lib/postgresql/15/bin"
DB_NAME = "qmilter"
DB_USER = "qmilter"
# ';', '{', '@', ':' and a quote: each must survive URL and ODBC quoting.
DB_PASSWORD = "S3cr;e{t}@pw:'x"
START_TIMEOUT = 60.0


def _run(argv: List[str], user: Optional[str] = None, input_text: Optional[str] = None,
         timeout: float = 120) -> str:
    result = subprocess.run(argv, input=input_text, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, errors="replace",
                            timeout=timeout, user=user, group=user, extra_groups=[] if user else None)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited with {result.returncode}:\n{result.stdout}")
    return result.stdout


class _Server:
    """What both servers share: the process, its log, start/stop and the context manager."""

    title = "database"
    scheme = ""

    def __init__(self, base_dir: str, name: str, durable: bool = False):
        self.durable = durable
        self.dir = os.path.join(base_dir, name)
        os.makedirs(self.dir, exist_ok=True)
        os.chmod(base_dir, 0o755)
        os.chmod(self.dir, 0o755)
        self.port = free_port()
        self.host = "127.0.0.1"
        self.log = LogFile(os.path.join(self.dir, "server.log"), f"{self.title} log")
        self.proc: Optional[subprocess.Popen] = None
        self.initialised = False

    @property
    def url(self) -> str:
        password = urllib.parse.quote(DB_PASSWORD, safe="")
        return f"{self.scheme}://{DB_USER}:{password}@{self.host}:{self.port}/{DB_NAME}"

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _spawn(self, argv: List[str], user: Optional[str] = None) -> None:
        with open(self.log.path, "ab") as log:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                         start_new_session=True, user=user, group=user,
                                         extra_groups=[] if user else None)
        wait_until(lambda: not self.running() or self._ready(),
                   f"{self.title} on 127.0.0.1:{self.port}", START_TIMEOUT,
                   state=lambda: self.log.tail())
        if not self.running():
            raise RuntimeError(f"{self.title} exited with {self.proc.returncode} before "
                               f"listening\n{self.log.tail()}")

    def _ready(self) -> bool:
        return tcp_port_listening(self.port)

    def stop(self, timeout: float = 30) -> None:
        """Fast shutdown (clients are disconnected); SIGKILL the group if it hangs."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(self.stop_signal)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()


class PostgresServer(_Server):
    title = "PostgreSQL"
    scheme = "postgresql"
    stop_signal = signal.SIGINT  # "fast" shutdown: roll back, disconnect clients

    def __init__(self, base_dir: str, durable: bool = False):
        super().__init__(base_dir, "postgresql", durable)
        self.data = os.path.join(self.dir, "data")
        self.socket_dir = self.dir
        shutil.chown(self.dir, "postgres", "postgres")

    def start(self) -> "PostgresServer":
        if not self.initialised:
            _run([f"{PG_BIN}/initdb", "-D", self.data, "-U", "postgres", "--no-sync",
                  "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8",
                  "--locale=C"], user="postgres")
        fast = [] if self.durable else ["-c", "fsync=off", "-c", "synchronous_commit=off",
                                        "-c", "full_page_writes=off"]
        self._spawn([f"{PG_BIN}/postgres", "-D", self.data, "-h", self.host, "-p", str(self.port),
                     "-k", self.socket_dir, *fast, "-c", "max_connections=200"], user="postgres")
        if not self.initialised:
            self.sql(f"CREATE ROLE {DB_USER} LOGIN PASSWORD '{DB_PASSWORD.replace(chr(39), chr(39) * 2)}'",
                     database="postgres")
            self.sql(f"CREATE DATABASE {DB_NAME} OWNER {DB_USER}", database="postgres")
            self.initialised = True
        return self

    def _ready(self) -> bool:
        # Listening is not enough: during crash recovery the server refuses logins
        # ("the database system is starting up"). pg_isready asks the real question.
        if not (tcp_port_listening(self.port)
                and os.path.exists(os.path.join(self.socket_dir, f".s.PGSQL.{self.port}"))):
            return False
        probe = subprocess.run([f"{PG_BIN}/pg_isready", "-q", "-h", self.host, "-p", str(self.port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
        return probe.returncode == 0

    def sql(self, statement: str, database: str = DB_NAME) -> str:
        """Run SQL as the superuser over the unix socket; tab-separated rows."""
        return _run([f"{PG_BIN}/psql", "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1",
                     "-h", self.socket_dir, "-p", str(self.port), "-U", "postgres", "-d", database,
                     "-c", statement], user="postgres")


class MariaDbServer(_Server):
    title = "MariaDB"
    scheme = "mysql"
    stop_signal = signal.SIGTERM  # orderly shutdown

    def __init__(self, base_dir: str, durable: bool = False):
        super().__init__(base_dir, "mariadb", durable)
        self.data = os.path.join(self.dir, "data")
        self.socket = os.path.join(self.dir, "mysqld.sock")

    def start(self) -> "MariaDbServer":
        if not self.initialised:
            _run(["mariadb-install-db", "--no-defaults", f"--datadir={self.data}", "--user=root",
                  "--auth-root-authentication-method=socket", "--skip-test-db",
                  "--skip-name-resolve"])
        self._spawn(["mariadbd", "--no-defaults", f"--datadir={self.data}", "--user=root",
                     f"--port={self.port}", f"--bind-address={self.host}", f"--socket={self.socket}",
                     f"--pid-file={os.path.join(self.dir, 'mariadbd.pid')}", "--skip-name-resolve",
                     "--skip-log-bin",
                     f"--innodb-flush-log-at-trx-commit={1 if self.durable else 0}",
                     "--innodb-buffer-pool-size=64M", "--max-connections=200"])
        if not self.initialised:
            password = DB_PASSWORD.replace("\\", "\\\\").replace("'", "\\'")
            self.sql(f"CREATE DATABASE {DB_NAME}; "
                     f"CREATE USER '{DB_USER}'@'127.0.0.1' IDENTIFIED BY '{password}'; "
                     f"GRANT ALL ON {DB_NAME}.* TO '{DB_USER}'@'127.0.0.1';", database="mysql")
            self.initialised = True
        return self

    def _ready(self) -> bool:
        if not (tcp_port_listening(self.port) and os.path.exists(self.socket)):
            return False
        probe = subprocess.run(["mariadb-admin", "--no-defaults", f"--socket={self.socket}", "-u", "root",
                                "ping"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
        return probe.returncode == 0

    def sql(self, statement: str, database: str = DB_NAME) -> str:
        """Run SQL as root over the unix socket; tab-separated rows, no headers."""
        return _run(["mariadb", "--no-defaults", f"--socket={self.socket}", "-u", "root", "-N", "-B",
                     database, "-e", statement])


SERVERS = {"postgresql": PostgresServer, "mariadb": MariaDbServer}


@contextmanager
def scratch_postgres(prefix: str) -> Iterator["PostgresServer"]:
    """A PostgreSQL server in a fresh directory under /tmp, removed with it afterwards."""
    base = tempfile.mkdtemp(prefix=prefix, dir="/tmp")
    server = PostgresServer(base)
    try:
        yield server.start()
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)
