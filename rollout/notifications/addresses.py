"""Checks on where notifications may go: email addresses, and webhook URLs that must not
reach private, loopback or link-local addresses (SSRF) unless explicitly allowed."""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from rollout.errors import Invalid
from rollout.validation import check_text

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
EMAIL = re.compile(rf"^[A-Za-z0-9.!#$%&'*+/=?^_`{{|}}~-]{{1,64}}@{_LABEL}(?:\.{_LABEL})+$")
# An address holds no control character, tab and line breaks included.
ADDRESS_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def check_email(value: str, *, field: str = "email") -> str:
    """A plain ASCII address like ops@example.com, lowercased domain; or Invalid."""
    if not isinstance(value, str) or not EMAIL.match(value.strip()) or len(value) > 254:
        raise Invalid("not an email address like ops@example.com", field=field)
    local, _, domain = value.strip().rpartition("@")
    return f"{local}@{domain.lower()}"


def check_display_name(value: str, *, field: str = "name") -> str:
    """A person's name for an email header: one line, no control characters."""
    return check_text(value, field=field)


def parse_allow_list(raw: str | Iterable[str] | None) -> tuple[IPNetwork, ...]:
    """Networks from `127.0.0.1/32,::1/128`; a bad entry raises ValueError naming it."""
    if raw is None:
        return ()
    parts = raw.split(",") if isinstance(raw, str) else list(raw)
    networks = []
    for part in (p.strip() for p in parts):
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ValueError(f"{part!r} is not an IP network like 127.0.0.1/32") from None
    return tuple(networks)


# NAT64's local-use prefix (RFC 8215) is, like a private network, routable only inside a site.
_NAT64_LOCAL_USE = ipaddress.IPv6Network("64:ff9b:1::/48")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one reaches through: IPv4-translated `::ffff:0:a.b.c.d`,
    IPv4-compatible `::a.b.c.d`, NAT64 `64:ff9b::a.b.c.d`, 6to4 `2002:AABB:CCDD::` or a
    Teredo client; None for a plain IPv6 address."""
    value = int(address)
    if value >> 32 in (0, 0xFFFF0000) or address in _NAT64:
        return ipaddress.IPv4Address(value & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    return None


def is_public(address: IPAddress) -> bool:
    """Whether `address` is a global unicast address (not private, loopback, link-local,
    site-local, multicast, reserved or unspecified). An IPv6 address that carries an IPv4
    one (mapped, translated, compatible, NAT64, 6to4, Teredo) must carry a public one too:
    those forms reach the IPv4 address through a translator on the way."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return is_public(address.ipv4_mapped)
        if address.is_site_local or address in _NAT64_LOCAL_USE:
            return False
        embedded = _embedded_ipv4(address)
        if embedded is not None and not is_public(embedded):
            return False
    return address.is_global and not address.is_multicast


def address_allowed(raw: str, allow: tuple[IPNetwork, ...] = ()) -> bool:
    """Whether a webhook may connect to the IP `raw`: public, or inside the allow-list."""
    address = ipaddress.ip_address(raw.split("%", 1)[0])
    return is_public(address) or any(address in network for network in allow)


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (the system resolver)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def check_webhook_url(
    url: str,
    *,
    allow: tuple[IPNetwork, ...] = (),
    resolver: Resolver = resolve,
    field: str = "url",
) -> str:
    """An https URL whose host resolves only to public addresses; plain http and private
    addresses only within the allow-list (tests, development). Invalid otherwise."""
    if not isinstance(url, str) or ADDRESS_CONTROL.search(url) or len(url) > 2000:
        raise Invalid("not a URL", field=field)
    try:
        parts = urlsplit(url.strip())
    except ValueError as exc:  # e.g. an unclosed [ around an IPv6 address
        raise Invalid(f"not a URL: {exc}", field=field) from None
    try:
        port = parts.port
    except ValueError:
        raise Invalid("the port is not a number between 0 and 65535", field=field) from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise Invalid("give an https:// URL", field=field)
    if parts.username or parts.password:
        raise Invalid("credentials in the URL are not allowed; verify the signature", field=field)
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = resolver(parts.hostname, port)
    except (OSError, UnicodeError):
        raise Invalid(f"{parts.hostname} does not resolve", field=field) from None
    if not addresses:
        raise Invalid(f"{parts.hostname} does not resolve", field=field)
    blocked = [a for a in addresses if not address_allowed(a, allow)]
    if blocked:
        raise Invalid(
            f"{parts.hostname} resolves to {blocked[0]}, a private, loopback or link-local "
            "address; webhooks go to public addresses only",
            field=field,
        )
    allowed_only = all(not is_public(ipaddress.ip_address(a.split("%")[0])) for a in addresses)
    if parts.scheme != "https" and not allowed_only:
        raise Invalid("give an https:// URL", field=field)
    return url.strip()
