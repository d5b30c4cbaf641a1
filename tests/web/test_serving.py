"""`rollout serve` stopped by its supervisor: a request in flight when SIGTERM arrives still
gets its whole answer, new connections are refused, and the process exits 0."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.notifications.servers import free_port

ROLLOUT = str(Path(sys.executable).parent / "rollout")
DRAIN = 5


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=5)


def wait_until_serving(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60  # a loaded machine starts Python slowly
    while True:
        try:
            connect(port).close()
            return
        except ConnectionRefusedError:
            assert process.poll() is None, process.stderr.read()
            assert time.monotonic() < deadline, "rollout serve did not start"
            time.sleep(0.1)


def read_answer(sock: socket.socket) -> tuple[str, dict]:
    """The status line and JSON body of the one response on `sock`, read to the server's close."""
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    assert int(headers["Content-Length"]) == len(body)
    return lines[0], json.loads(body)


def test_serve_finishes_the_request_in_flight_on_sigterm_refuses_new_ones_and_exits_0(tmp_path):
    port = free_port()
    env = os.environ | {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
        "SECRET_KEY": "serve-test",
        "PUBLIC_URL": "http://rollout.test",
    }
    server = subprocess.Popen(
        [ROLLOUT, "serve", "--port", str(port), "--drain", str(DRAIN)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until_serving(port, server)
        slow = connect(port)
        slow.sendall(b"GET /healthz HTTP/1.1\r\nHost: rollout.test\r\n")  # headers unfinished
        time.sleep(0.3)
        server.send_signal(signal.SIGTERM)
        signalled = time.monotonic()

        refused = False
        while not refused and time.monotonic() - signalled < DRAIN:
            try:
                connect(port).close()
                time.sleep(0.05)
            except (ConnectionRefusedError, ConnectionResetError):
                refused = True  # reset when the connect raced the listener's close
        assert refused, "new connections should be refused once SIGTERM has arrived"

        slow.sendall(b"Accept: application/json\r\n\r\n")
        status, body = read_answer(slow)
        slow.close()
        assert status == "HTTP/1.1 200 OK" and body == {"status": "ok"}
        out, err = server.communicate(timeout=DRAIN + 5)
        assert time.monotonic() - signalled < DRAIN + 2  # and a second for threads to end
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert server.returncode == 0, err
    assert out.rstrip().endswith("stopped")
