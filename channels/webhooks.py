"""The webhook adapter: Standard Webhooks signatures (the `standardwebhooks` package), short
timeouts, no redirects, and connections only to allowed addresses, checked on the address
actually dialled so a DNS answer that changes after registration (rebinding) cannot reach
a private network. Certificates are verified against the URL's host name, not that address."""

from __future__ import annotations

import socket
import ssl
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import requests
from requests.adapters import HTTPAdapter
from standardwebhooks.webhooks import Webhook
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NewConnectionError
from urllib3.util import connection as urllib3_connection

from rollout.notifications.addresses import IPNetwork, address_allowed
from rollout.notifications.content import WebhookEvent
from rollout.notifications.delivery import Outcome, Result
from rollout.validation import is_whole_number

TIMEOUT = (3.05, 10.0)  # connect, read (seconds)
USER_AGENT = "Rollout-Webhooks/1"
RETRYABLE_4XX = {408, 429}


class BlockedAddress(NewConnectionError):
    """The host resolves to an address webhooks may not reach."""


def _guarded(base: type, allow: tuple[IPNetwork, ...]) -> type:
    class Guarded(base):
        def _new_conn(self) -> socket.socket:
            try:
                infos = socket.getaddrinfo(self._dns_host, self.port, type=socket.SOCK_STREAM)
            except socket.gaierror as exc:
                raise NewConnectionError(self, f"cannot resolve {self._dns_host}: {exc}") from exc
            addresses = list(dict.fromkeys(info[4][0] for info in infos))
            blocked = [a for a in addresses if not address_allowed(a, allow)]
            if blocked or not addresses:
                raise BlockedAddress(
                    self,
                    f"{self._dns_host} resolves to {blocked[0] if blocked else 'nothing'}, "
                    "which webhooks may not reach",
                )
            error: OSError | None = None
            for address in addresses:
                try:
                    return urllib3_connection.create_connection(
                        (address, self.port),
                        self.timeout,
                        source_address=self.source_address,
                        socket_options=self.socket_options,
                    )
                except OSError as exc:
                    error = exc
            raise NewConnectionError(self, f"cannot connect to {self._dns_host}: {error}")

    return Guarded


class _GuardedAdapter(HTTPAdapter):
    def __init__(self, allow: tuple[IPNetwork, ...]):
        self._allow = allow
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        allow = self._allow

        class Pool(HTTPConnectionPool):
            ConnectionCls = _guarded(HTTPConnection, allow)

        class SecurePool(HTTPSConnectionPool):
            ConnectionCls = _guarded(HTTPSConnection, allow)

        self.poolmanager.pool_classes_by_scheme = {"http": Pool, "https": SecurePool}


class WebhookSender:
    """Posts signed JSON events; one HTTP session with pooled connections. Certificates are
    checked against certifi's CA bundle, or only against `ca_bundle` (a PEM file) if given."""

    def __init__(
        self,
        allow: tuple[IPNetwork, ...] = (),
        *,
        timeout=TIMEOUT,
        ca_bundle: str | None = None,
    ):
        self.timeout = timeout
        self.session = requests.Session()
        # No proxy from the environment: we dial ourselves. This also ignores
        # REQUESTS_CA_BUNDLE and CURL_CA_BUNDLE, hence `ca_bundle`.
        self.session.trust_env = False
        if ca_bundle is not None:
            self.session.verify = ca_bundle
        adapter = _GuardedAdapter(allow)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def headers(self, event: WebhookEvent, at: datetime) -> dict[str, str]:
        """webhook-id, -timestamp and -signature: one v1 signature per live secret, so a
        receiver that knows either key during a rotation accepts it."""
        signatures = " ".join(
            Webhook(secret).sign(event.message_id, at, event.body) for secret in event.secrets
        )
        return {
            "webhook-id": event.message_id,
            "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": signatures,
            "content-type": "application/json",
            "user-agent": USER_AGENT,
        }

    def send(self, event: WebhookEvent) -> Outcome:
        """One delivery: 2xx delivered; 3xx, 408, 429, 5xx and network trouble retried;
        410 and other 4xx refused for good (410 also disables the endpoint)."""
        at = datetime.now(UTC)
        try:
            response = self.session.post(
                event.url,
                data=event.body.encode(),
                headers=self.headers(event, at),
                timeout=self.timeout,
                allow_redirects=False,
                stream=True,
            )
        except requests.exceptions.SSLError as exc:
            # Often an expired or replaced certificate the receiver will fix: try again later.
            return Outcome(Result.RETRY, f"TLS failed: {_tls_problem(exc)}")
        except requests.ConnectionError as exc:
            if blocked := _cause(exc, BlockedAddress):
                return Outcome(Result.FAILED, f"refused: {str(blocked).split(': ', 1)[-1]}")
            return Outcome(Result.RETRY, f"connection failed: {_reason(exc)}")
        except requests.Timeout:
            return Outcome(Result.RETRY, "timed out")
        except requests.RequestException as exc:
            return Outcome(Result.RETRY, f"request failed: {_reason(exc)}")
        try:
            return _judge(response)
        finally:
            response.close()


def _judge(response: requests.Response) -> Outcome:
    code = response.status_code
    if 200 <= code < 300:
        return Outcome(Result.DELIVERED, f"{code}", code=code)
    if 300 <= code < 400:
        where = response.headers.get("location", "")[:200]
        return Outcome(Result.RETRY, f"{code} redirect to {where!r} not followed", code=code)
    retry_after = retry_after_of(response.headers.get("retry-after"), datetime.now(UTC))
    if code == 410:
        return Outcome(
            Result.FAILED, "410 gone: endpoint disabled", code=code, disable_endpoint=True
        )
    if 400 <= code < 500 and code not in RETRYABLE_4XX:
        return Outcome(Result.FAILED, f"{code} refused", code=code)
    return Outcome(Result.RETRY, f"{code}", code=code, retry_after=retry_after)


def retry_after_of(value: str | None, now: datetime) -> timedelta | None:
    """A Retry-After header (seconds or an HTTP date) as a wait, or None."""
    if not value:
        return None
    value = value.strip()
    if is_whole_number(value):
        # Honoured up to a day later anyway; a larger number must not overflow timedelta.
        return timedelta(seconds=min(int(value), 7 * 24 * 3600))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(when - now, timedelta(0))


def _cause(exc: BaseException, kind: type[BaseException]) -> BaseException | None:
    """The first `kind` among what requests and urllib3 wrapped inside `exc`."""
    seen = set()
    stack = [exc]
    while stack:
        current = stack.pop()
        if id(current) in seen or current is None:
            continue
        seen.add(id(current))
        if isinstance(current, kind):
            return current
        stack += [getattr(current, "reason", None), current.__cause__, current.__context__]
        stack += [a for a in getattr(current, "args", ()) if isinstance(a, BaseException)]
    return None


def _tls_problem(exc: BaseException) -> str:
    """OpenSSL's words for a refused certificate, without urllib3's wrapping around them."""
    refused = _cause(exc, ssl.SSLCertVerificationError)
    if refused is not None and refused.verify_message:
        return f"certificate verify failed: {refused.verify_message}"
    handshake = _cause(exc, ssl.SSLError)
    return _reason(handshake if handshake is not None else exc)


def _reason(exc: BaseException) -> str:
    return str(exc)[:300] or type(exc).__name__
