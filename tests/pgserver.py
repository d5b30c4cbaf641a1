"""A throwaway PostgreSQL server for the test suite, run from the local binaries."""

from __future__ import annotations

import contextlib
import os
import pathlib
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator

import psycopg

USER = "rollout"
DATABASE = "rollout"
PG_TOOLS = ("initdb", "pg_ctl", "postgres")


def _version_key(path: pathlib.Path) -> tuple[int, ...]:
    """Sort key for /usr/lib/postgresql/<version>/bin."""
    try:
        return tuple(int(part) for part in path.parent.name.split("."))
    except ValueError:
        return (-1,)


def find_pg_bin() -> pathlib.Path | None:
    """Directory holding initdb/pg_ctl/postgres, newest version first."""
    debian = pathlib.Path("/usr/lib/postgresql").glob("*/bin")
    candidates = sorted(debian, key=_version_key, reverse=True)
    if on_path := shutil.which("pg_ctl"):
        # Check both the PATH entry and its symlink target: Debian's /usr/bin
        # entries are wrappers, while others symlink into the real bin dir.
        candidates += [pathlib.Path(on_path).parent, pathlib.Path(on_path).resolve().parent]
    for directory in candidates:
        if all((directory / tool).is_file() for tool in PG_TOOLS):
            return directory
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _log_tail(log: pathlib.Path, lines: int = 30) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no server log)"


class PostgresServer:
    """A private PostgreSQL server that a test may stop and start again on the same port."""

    def __init__(self, bin_dir: pathlib.Path, tmp: pathlib.Path, prefix: list[str]):
        self.bin_dir, self.tmp, self.prefix = bin_dir, tmp, prefix
        self.data, self.log = tmp / "data", tmp / "server.log"
        self.port = _free_port()
        self.url = f"postgresql+psycopg://{USER}@127.0.0.1:{self.port}/{DATABASE}"

    def run(self, tool: str, *args: str) -> subprocess.CompletedProcess[str]:
        # cwd=tmp: the server user may not be able to enter the caller's cwd.
        cmd = [*self.prefix, str(self.bin_dir / tool), *args]
        return subprocess.run(cmd, cwd=self.tmp, capture_output=True, text=True)

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.tmp} -c listen_addresses=127.0.0.1"
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        # -w makes pg_ctl wait (up to 60s) until the server accepts connections.
        start = self.run(
            "pg_ctl", "start", "-w", "-D", str(self.data), "-l", str(self.log), "-o", options
        )
        if start.returncode != 0:
            output = f"{start.stdout}{start.stderr}\n{_log_tail(self.log)}"
            raise RuntimeError(f"PostgreSQL failed to start:\n{output}")

    def stop(self, mode: str = "immediate") -> None:
        """Stop the server; "immediate" may lose the last commits (synchronous_commit=off),
        "fast" writes them out first, for a test that starts the server again."""
        if (self.data / "postmaster.pid").exists():
            self.run("pg_ctl", "stop", "-m", mode, "-w", "-D", str(self.data))


@contextlib.contextmanager
def throwaway_postgres_server() -> Iterator[PostgresServer]:
    """Start a private PostgreSQL server with an empty database and yield it."""
    bin_dir = find_pg_bin()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL server binaries not found (apt-get install postgresql)")

    prefix: list[str] = []
    owner = None
    if os.geteuid() == 0:
        # initdb and postgres refuse to run as root, so run them as the postgres
        # system user, which then has to own the temp dir.
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            raise RuntimeError("running as root but there is no 'postgres' user") from None
        prefix = ["runuser", "-u", "postgres", "--"]

    tmp = pathlib.Path(tempfile.mkdtemp(prefix="rollout-pg-"))
    if owner is not None:
        os.chown(tmp, owner.pw_uid, owner.pw_gid)
    server = PostgresServer(bin_dir, tmp, prefix)
    try:
        init = server.run(
            "initdb", "-D", str(server.data), "-A", "trust", "-U", USER, "-E", "UTF8", "--locale=C"
        )
        if init.returncode != 0:
            raise RuntimeError(f"initdb failed in {tmp}:\n{init.stdout}{init.stderr}")
        server.start()
        admin = dict(
            host="127.0.0.1", port=server.port, user=USER, dbname="postgres", autocommit=True
        )
        with psycopg.connect(**admin) as conn:
            conn.execute(f"CREATE DATABASE {DATABASE}")
        yield server
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[str]:
    """Start a private PostgreSQL server and yield its SQLAlchemy URL."""
    with throwaway_postgres_server() as server:
        yield server.url
