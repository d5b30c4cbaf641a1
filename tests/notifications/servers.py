"""Real servers on loopback for the notification tests and bench: an SMTP server (aiosmtpd)
whose answers a test can script, and an HTTP or HTTPS receiver that checks Standard Webhooks
signatures with the `standardwebhooks` package."""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import trustme
from aiosmtpd.controller import Controller
from standardwebhooks.webhooks import Webhook, WebhookVerificationError


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Inbox:
    """What the SMTP server accepted; `script` holds answers for the next DATA commands:
    an SMTP reply such as "451 4.3.0 try later", or "drop" to cut the connection."""

    messages: list[EmailMessage] = field(default_factory=list)
    script: list[str] = field(default_factory=list)
    delay: float = 0.0
    parse: bool = True
    count: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        with self.lock:
            action = self.script.pop(0) if self.script else None
        if action == "drop":
            session_transport = server.transport
            session_transport.abort()
            return "421 closing"
        if action is not None:
            return action
        with self.lock:
            self.count += 1
            if self.parse:
                self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 2.0.0 OK"

    def wait_for(self, count: int, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while self.count < count and time.monotonic() < deadline:
            time.sleep(0.01)

    def message_ids(self) -> list[str]:
        return [m["Message-ID"] for m in self.messages]


@contextmanager
def smtp_server(**inbox_options) -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server on 127.0.0.1; yields its inbox and port."""
    inbox = Inbox(**inbox_options)
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@dataclass
class Receiver:
    """Webhook deliveries that verified; `script` holds answers for the next requests:
    (status, headers) pairs, or ("sleep", seconds) to outlast the sender's timeout."""

    secrets: list[str] = field(default_factory=list)
    received: list[dict] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    script: list[tuple] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def verify(self, body: bytes, headers: dict) -> dict | None:
        for secret in self.secrets:
            try:
                return Webhook(secret).verify(body, headers)
            except WebhookVerificationError:
                continue
        return None


@contextmanager
def webhook_receiver(
    secrets: list[str] | None = None, *, certificate: trustme.LeafCert | None = None
) -> Iterator[Receiver]:
    """A real HTTP server on 127.0.0.1 verifying each delivery's signature; HTTPS when given
    a certificate, e.g. `trustme.CA().issue_cert("localhost", "127.0.0.1")`."""
    receiver = Receiver(secrets=list(secrets or []))

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            with receiver.lock:
                action = receiver.script.pop(0) if receiver.script else (200, {})
            if action[0] == "sleep":
                time.sleep(action[1])
                action = (200, {})
            status, extra = action
            if 200 <= status < 300:
                headers = {k.lower(): v for k, v in self.headers.items()}
                event = receiver.verify(body, headers)
                with receiver.lock:
                    if event is None:
                        receiver.refused.append(headers.get("webhook-id", ""))
                        status = 401
                    else:
                        receiver.received.append(
                            {
                                "id": headers["webhook-id"],
                                "event": event,
                                "signature": headers["webhook-signature"],
                            }
                        )
            self.send_response(status)
            for name, value in extra.items():
                self.send_header(name, value)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    scheme = "http"
    if certificate is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        certificate.configure_cert(context)
        # The handshake happens on accept; one the client aborts is dropped there unseen.
        server.socket = context.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver.url = f"{scheme}://127.0.0.1:{server.server_port}/hooks/rollout"
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
