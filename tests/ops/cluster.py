"""Rollout as production runs it, on loopback: PostgreSQL, nginx with deploy/nginx.conf (only
its ports and paths changed), three `rollout serve` processes, two workers and an SMTP sink.
`scripts/cluster` starts it by hand; tests/ops/test_cluster.py drives it under load."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import requests
import trustme
from aiosmtpd.controller import Controller
from sqlalchemy.orm import sessionmaker

from rollout import access, events, handlers
from rollout.db import make_engine, make_session_factory
from rollout.demo import load_demo
from rollout.events import Context
from rollout.notifications import DEFAULT_POLICY
from rollout.schema import migrate
from tests.notifications.servers import free_port
from tests.pgserver import throwaway_postgres_server

ROOT = Path(__file__).resolve().parents[2]
NGINX = Path("/usr/sbin/nginx")
NGINX_CONF = ROOT / "deploy" / "nginx.conf"
# The upstream ports deploy/nginx.conf names, one per web process, in order.
PRODUCTION_UPSTREAMS = (8001, 8002, 8003)
SMTP_FROM = "Rollout <maintenance@rollout.test>"
STARTUP_SECONDS = 60
MESSAGE_ID = re.compile(rb"^Message-ID:[ \t]*(<[^>\r\n]+>)", re.IGNORECASE | re.MULTILINE)


@dataclass
class Sink:
    """An SMTP server taking every message, keeping each one's Message-ID and recipients:
    a header found by a pattern, since parsing thousands of messages would cost more than
    the workers' sending them."""

    received: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):
        found = MESSAGE_ID.search(envelope.content)
        self.received.append((found[1].decode() if found else "", tuple(envelope.rcpt_tos)))
        return "250 2.0.0 OK"

    @property
    def count(self) -> int:
        return len(self.received)

    def message_ids(self) -> list[str]:
        return [message_id for message_id, _ in self.received]


@contextlib.contextmanager
def smtp_sink() -> Iterator[tuple[Sink, int]]:
    """A Sink on a free loopback port; yields it and the port."""
    sink, port = Sink(), free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()


class ClusterError(RuntimeError):
    """A piece of the cluster would not start; the message carries its log."""


@dataclass
class Process:
    """One child process, its output (stdout and stderr) kept in `log`."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    port: int | None = None
    popen: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            out.write(f"---- {self.name} started {datetime.now(UTC):%H:%M:%S}\n".encode())
            out.flush()
            # A session of its own: a Ctrl-C in the terminal reaches the cluster, which stops
            # each piece in order, not every child at once.
            self.popen = subprocess.Popen(
                self.argv,
                env=self.env,
                cwd=self.log.parent,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> None:
        """Signal the process and wait for it; one that outlives `timeout` is killed."""
        self.signal(sig)
        self.wait(timeout)

    def signal(self, sig: int) -> None:
        if self.running:
            assert self.popen is not None
            self.popen.send_signal(sig)

    def wait(self, timeout: float) -> None:
        if self.popen is None:
            return
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(timeout)

    def tail(self, lines: int = 40) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return "(no output)"
        return "\n".join(text.splitlines()[-lines:])


@dataclass
class Cluster:
    """The running pieces; `url` is the public address (nginx, HTTPS, trusting `ca_file`)."""

    directory: Path
    database_url: str
    secret_key: str
    url: str
    ca_file: Path
    sink: Sink
    nginx: Process
    web: list[Process]
    workers: list[Process]
    sessions: sessionmaker
    metrics_token: str = ""
    staff_password: str = ""
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def processes(self) -> list[Process]:
        return [self.nginx, *self.web, *self.workers]

    def backend(self, process: Process) -> str:
        """A web process's own address, behind nginx (plain HTTP on loopback)."""
        return f"http://127.0.0.1:{process.port}"

    def report(self, lines: int = 40) -> str:
        """Every process's latest output and the access log, for a failure message."""
        parts = [f"==== {p.name} ({p.log})\n{p.tail(lines)}" for p in self.processes]
        access_log = self.directory / "logs" / "rollout.access.log"
        if access_log.exists():
            tail = access_log.read_text(errors="replace").splitlines()[-lines:]
            parts.append(f"==== nginx access log ({access_log})\n" + "\n".join(tail))
        return "\n\n".join(parts)


def _stop_all(processes: list[Process], timeout: float = 15) -> None:
    """SIGTERM to every process at once (a worker finishes the message in hand), then wait
    for each; one still running after `timeout` is killed."""
    for process in processes:
        process.signal(signal.SIGTERM)
    for process in processes:
        process.wait(timeout)


def render_nginx_conf(
    *, directory: Path, http_port: int, https_port: int, upstreams: list[int]
) -> str:
    """deploy/nginx.conf with its ports and paths moved into `directory`; anything else
    changed would mean testing another configuration than the one the README recommends."""
    if len(upstreams) != len(PRODUCTION_UPSTREAMS):
        raise ValueError(f"deploy/nginx.conf names {len(PRODUCTION_UPSTREAMS)} web processes")
    replacements = {
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen 443 ssl;": f"listen 127.0.0.1:{https_port} ssl;",
        "https://rollout.example.com$request_uri": f"https://127.0.0.1:{https_port}$request_uri",
        **{
            f"server 127.0.0.1:{production};": f"server 127.0.0.1:{port};"
            for production, port in zip(PRODUCTION_UPSTREAMS, upstreams, strict=True)
        },
        "/etc/ssl/rollout/": f"{directory}/tls/",
        "/var/log/nginx/": f"{directory}/logs/",
        "/var/lib/nginx/": f"{directory}/nginx/",
        "/run/nginx.pid": f"{directory}/nginx/nginx.pid",
    }
    text = NGINX_CONF.read_text()
    for old, new in replacements.items():
        if old not in text:
            raise ValueError(f"deploy/nginx.conf no longer says {old!r}: update {__file__}")
        text = text.replace(old, new)
    return text


def _write_certificate(directory: Path) -> Path:
    """A certificate for 127.0.0.1 from a throwaway CA, where nginx.conf looks for one;
    returns the CA's file for clients to trust."""
    ca = trustme.CA()
    leaf = ca.issue_cert("127.0.0.1", "localhost")
    tls = directory / "tls"
    tls.mkdir()
    (tls / "fullchain.pem").write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    leaf.private_key_pem.write_to_path(str(tls / "privkey.pem"))
    ca.cert_pem.write_to_path(str(directory / "ca.pem"))
    return directory / "ca.pem"


def loopback_client(ca_file: Path | None = None) -> requests.Session:
    """An HTTP client for the cluster: no proxy or CA bundle from the environment (which
    would override `verify`), trusting the cluster's own CA."""
    http = requests.Session()
    http.trust_env = False
    if ca_file is not None:
        http.verify = str(ca_file)
    return http


def _wait_until_ready(process: Process, url: str, *, ca_file: Path | None = None) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    http = loopback_client(ca_file)
    while time.monotonic() < deadline:
        if not process.running:
            raise ClusterError(f"{process.name} exited while starting:\n{process.tail()}")
        with contextlib.suppress(requests.RequestException):
            if http.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.1)
    raise ClusterError(f"{process.name} not ready after {STARTUP_SECONDS}s:\n{process.tail()}")


def seed(sessions: sessionmaker, *, password: str) -> dict[str, str]:
    """The demo, its staff signing in with `password`, two release managers' API tokens (a
    zero-day needs a second one to approve it) and an admin's; returns the tokens by name."""
    now = datetime.now(UTC)
    with sessions() as session:
        load_demo(
            session,
            now=now,
            context=Context(notification_policy=DEFAULT_POLICY),
            password=password,
        )
        tokens = {
            name: access.create_token(session, name=name, role=role, now=now)[1]
            for name, role in (
                ("pipeline", "release_manager"),
                ("second-approver", "release_manager"),
                ("operator", "admin"),
            )
        }
        session.commit()
    return tokens


@contextlib.contextmanager
def running_cluster(
    directory: Path | None = None,
    *,
    database_url: str | None = None,
    web_processes: int = 3,
    workers: int = 2,
    lease_seconds: int = 10,
) -> Iterator[Cluster]:
    """Start every piece (a throwaway PostgreSQL unless `database_url` names an empty one),
    load the demo, yield the cluster, and stop everything on the way out, failures included.
    Workers hold a batch for `lease_seconds`, so a killed one's rows come back soon."""
    if not NGINX.exists():
        raise ClusterError("nginx not found at /usr/sbin/nginx (apt-get install nginx)")
    events.use_handlers(handlers.HANDLERS)
    with contextlib.ExitStack() as stack:
        if directory is None:
            directory = Path(tempfile.mkdtemp(prefix="rollout-cluster-"))
            stack.callback(shutil.rmtree, directory, ignore_errors=True)
        # nginx's workers run as www-data when started as root: they must reach their files.
        directory.chmod(0o755)
        (directory / "logs").mkdir(exist_ok=True)
        (directory / "nginx").mkdir(exist_ok=True)
        (directory / "metrics").mkdir(exist_ok=True)
        if database_url is None:
            database_url = stack.enter_context(throwaway_postgres_server()).url
        engine = make_engine(database_url)
        stack.callback(engine.dispose)
        migrate(engine)
        sessions = make_session_factory(engine)
        password = secrets.token_urlsafe(12)
        tokens = seed(sessions, password=password)
        sink, smtp_port = stack.enter_context(smtp_sink())

        http_port, https_port = free_port(), free_port()
        url = f"https://127.0.0.1:{https_port}"
        ca_file = _write_certificate(directory)
        secret_key, metrics_token = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        env = os.environ | {
            "PYTHONPATH": str(ROOT),
            "DATABASE_URL": database_url,
            "SECRET_KEY": secret_key,
            "PUBLIC_URL": url,
            "TRUSTED_PROXIES": "1",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(smtp_port),
            "SMTP_SECURITY": "none",
            "SMTP_FROM": SMTP_FROM,
            "METRICS_TOKEN": metrics_token,
            # One directory for the host's processes: any web process's /metrics sums them.
            "PROMETHEUS_MULTIPROC_DIR": str(directory / "metrics"),
        }
        rollout = [sys.executable, "-m", "web.cli"]
        logs = directory / "logs"
        web = [
            Process(
                f"web-{n}",
                [*rollout, "serve", "--host", "127.0.0.1", "--port", str(port)],
                env,
                logs / f"web-{n}.log",
                port=port,
            )
            for n, port in enumerate((free_port() for _ in range(web_processes)), start=1)
        ]
        worker_processes = [
            Process(
                f"worker-{n}",
                [*rollout, "worker", "--idle", "0.5", "--lease", str(lease_seconds)],
                env,
                logs / f"worker-{n}.log",
            )
            for n in range(1, workers + 1)
        ]
        conf = directory / "nginx.conf"
        conf.write_text(
            render_nginx_conf(
                directory=directory,
                http_port=http_port,
                https_port=https_port,
                upstreams=[p.port for p in web],
            )
        )
        nginx = Process(
            "nginx",
            [str(NGINX), "-p", str(directory), "-e", str(logs / "error.log"), "-c", str(conf)]
            + ["-g", "daemon off;"],
            {"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
            logs / "nginx.log",
            port=https_port,
        )
        cluster = Cluster(
            directory=directory,
            database_url=database_url,
            secret_key=secret_key,
            url=url,
            ca_file=ca_file,
            sink=sink,
            nginx=nginx,
            web=web,
            workers=worker_processes,
            sessions=sessions,
            metrics_token=metrics_token,
            staff_password=password,
            tokens=tokens,
        )
        stack.callback(_stop_all, cluster.processes)
        for process in [*web, nginx, *worker_processes]:
            process.start()
        for process in web:
            _wait_until_ready(process, f"{cluster.backend(process)}/readyz")
        _wait_until_ready(nginx, f"{url}/healthz", ca_file=ca_file)
        yield cluster
