"""A real PostgreSQL server for the lakehouse tests: Debian's package, started in a temporary
directory on a free loopback port, stopped and removed afterwards.

initdb and postgres refuse to run as root, so as root (a container, CI) they run as the package's
`postgres` user through runuser; any other user runs them as itself. Authentication is `trust`
on loopback only: the tests pass a password in the DSN to check that it is never shown, and the
server ignores it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

# Debian installs each major version's server binaries under /usr/lib/postgresql/<major>/bin.
DEBIAN_SERVERS = Path("/usr/lib/postgresql")
SERVER_USER = "postgres"
USER = "lake"


def server_bin() -> Path | None:
    """The newest installed server's bin directory, or None when no server is installed."""
    found = sorted(
        (p for p in DEBIAN_SERVERS.glob("*/bin") if (p / "initdb").exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    return found[-1] if found else None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Postgres:
    """One running server: `dsn(database)` is a libpq connection string for a database on it."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="trackerlake-pg-"))
        self.data = self.root / "data"
        self._as_root = os.geteuid() == 0
        if self._as_root:
            shutil.chown(self.root, user=SERVER_USER)

    def _run(self, tool: str, *args: str) -> subprocess.CompletedProcess:
        command = [str(self.bin_dir / tool), *args]
        if self._as_root:
            command = ["runuser", "-u", SERVER_USER, "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=True, timeout=60)

    def start(self) -> Postgres:
        # --no-sync and fsync off: a test server's files need not survive a power cut.
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", USER, "-E", "UTF8", "--no-sync")
        options = f"-h 127.0.0.1 -p {self.port} -k {self.root} -F"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.root / "log"), "-w", "start")
        return self

    def create_database(self, name: str) -> str:
        """A new database; returns its DSN."""
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", USER, name)
        return self.dsn(name)

    def dsn(self, database: str) -> str:
        return f"host=127.0.0.1 port={self.port} user={USER} dbname={database}"

    def query(self, database: str, sql: str) -> list[list[str]]:
        """Rows of `sql` as psql prints them unaligned: the tests' look at the catalog from outside DuckDB."""
        out = self._run(
            "psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", USER, "-d", database, "-AtX", "-c", sql
        ).stdout
        return [line.split("|") for line in out.splitlines()]

    def dump(self, database: str) -> str:
        """The database as pg_dump writes it: every catalog row, as text."""
        return self._run(
            "pg_dump", "-h", "127.0.0.1", "-p", str(self.port), "-U", USER, "-d", database
        ).stdout

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
