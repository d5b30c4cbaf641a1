"""`rollout serve` under a process supervisor: serve until SIGTERM (or Ctrl-C), then drain
(refuse new connections, let the requests in flight finish, within a bound) and exit 0."""

from __future__ import annotations

import signal
import threading
import time

from waitress import wasyncore
from waitress.server import BaseWSGIServer


def serve_until_stopped(server: BaseWSGIServer, *, drain_seconds: float) -> None:
    """Run waitress's loop until SIGTERM or SIGINT; then stop accepting and keep serving the
    connections with a request in flight for up to `drain_seconds`, closing each as it goes
    idle; whatever is still running then is cut off."""
    stopping = threading.Event()

    def stop(_signum, _frame):
        stopping.set()
        server.pull_trigger()  # wake the loop now, not at its next timeout

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        while not stopping.is_set():
            _turn(server, server.adj.asyncore_loop_timeout)
        wasyncore.dispatcher.close(server)  # the listening socket: new connections are refused
        deadline = time.monotonic() + drain_seconds
        while server.active_channels and time.monotonic() < deadline:
            _turn(server, 0.05)  # read what already arrived before judging a connection idle
            for channel in list(server.active_channels.values()):
                if _idle(channel):
                    channel.will_close = True  # closed on the next turn
    finally:
        server.task_dispatcher.shutdown(timeout=1)
        wasyncore.close_all(server._map)


def _turn(server: BaseWSGIServer, timeout: float) -> None:
    wasyncore.loop(timeout=timeout, map=server._map, use_poll=server.adj.asyncore_use_poll, count=1)


def _idle(channel) -> bool:
    # Nothing half-read, being answered or left to send: a keep-alive waiting for more.
    return not (channel.requests or channel.request is not None or channel.total_outbufs_len)
