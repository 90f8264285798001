"""A PostgreSQL server of a test's own: initdb into a temporary directory, its own port on 127.0.0.1, trust
authentication, fsync off. The machine's server stays up for the other tests while this one is stopped and started
(a real restart, not a stand-in). Runs the server binaries of the machine's PostgreSQL (/usr/lib/postgresql/<v>/bin)
as the `postgres` system user when the tests run as root (the server refuses root), else as the current user."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg


def server_binaries() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parts[-3]))
    return found[-1].parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivatePostgres:
    def __init__(self, binaries: Path):
        self.bin = binaries
        self.home = Path(tempfile.mkdtemp(prefix="lifecrm-pg-"))
        self.data, self.log = self.home / "data", self.home / "server.log"
        self.port = _free_port()
        self.run_as: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.home, "postgres", "postgres")
            self.run_as = ["runuser", "-u", "postgres", "--"]
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
                  "--locale=C.UTF-8", "--no-sync")
        self.start()

    @property
    def base(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}"

    def url(self, database: str) -> str:
        return f"{self.base}/{database}"

    def _run(self, program: str, *args: str, timeout: float = 120) -> None:
        result = subprocess.run([*self.run_as, str(self.bin / program), *args], capture_output=True, text=True,
                                timeout=timeout, cwd=self.home)
        if result.returncode:
            log = self.log.read_text() if self.log.exists() else ""
            raise RuntimeError(f"{program} failed: {result.stdout}{result.stderr}\n{log}")

    def _pg_ctl(self, action: str, *extra: str) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", *extra, action)

    def start(self) -> None:
        self._pg_ctl("start", "-o", f"-p {self.port} -k {self.home} -c listen_addresses=127.0.0.1 -c fsync=off")

    def restart(self) -> None:
        """Stop (fast: every session is ended, open transactions roll back) and start again."""
        self._pg_ctl("restart", "-m", "fast")

    def create_database_from(self, source_url: str, name: str) -> str:
        """A database holding a dump of `source_url` (the machine's server, same major version)."""
        with psycopg.connect(self.url("postgres"), autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
            # the audit trail's triggers name the maintenance role; roles belong to the server, not the dump
            admin.execute("CREATE ROLE lifecrm_audit_maintenance NOLOGIN")
        dump = subprocess.run([str(self.bin / "pg_dump"), "--no-owner", "--no-privileges", "-d", source_url],
                              capture_output=True, check=True, timeout=300)
        subprocess.run([str(self.bin / "psql"), "-q", "-v", "ON_ERROR_STOP=1", "-d", self.url(name)],
                       input=dump.stdout, capture_output=True, check=True, timeout=300)
        return self.url(name)

    def copy_database(self, source: str, name: str) -> str:
        with psycopg.connect(self.url("postgres"), autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
        return self.url(name)

    def destroy(self) -> None:
        try:
            self._pg_ctl("stop", "-m", "immediate")
        except RuntimeError:
            pass  # not running
        shutil.rmtree(self.home, ignore_errors=True)
