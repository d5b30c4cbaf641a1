"""Where a webhook may point: https to public addresses only, whatever form an address takes
(IPv6 carrying a private IPv4, site-local, multicast), plain http and private addresses only
inside the allow-list. Pure: the resolver is a function the test hands in."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from rollout.errors import Invalid
from rollout.notifications.addresses import (
    address_allowed,
    check_webhook_url,
    is_public,
    parse_allow_list,
)
from tests.notifications.conftest import LOOPBACK

PUBLIC_V4 = "93.184.216.34"


def public(host, port):
    return [PUBLIC_V4]


def itself(host, port):
    """A resolver for URLs that name an address: the host is the address."""
    return [host]


def refusal(url: str, resolver=public, **options) -> str:
    with pytest.raises(Invalid) as refused:
        check_webhook_url(url, resolver=resolver, **options)
    assert refused.value.field == "url"
    return refused.value.message


def public(host, port):
    return ["93.184.216.34"]


@pytest.mark.parametrize(
    ("url", "answer", "problem"),
    [
        ("http://hooks.example.com/x", ["93.184.216.34"], "https"),
        ("https://127.0.0.1/hook", ["127.0.0.1"], "private"),
        ("https://intranet.example.com/", ["10.0.0.5"], "private"),
        ("https://metadata.example.com/", ["169.254.169.254"], "private"),
        ("https://v6.example.com/", ["::1"], "private"),
        ("https://mapped.example.com/", ["::ffff:192.168.1.1"], "private"),
        ("https://both.example.com/", ["93.184.216.34", "192.168.0.7"], "private"),
        ("https://user:pw@hooks.example.com/", ["93.184.216.34"], "credentials"),
        ("ftp://hooks.example.com/", ["93.184.216.34"], "https"),
        ("https://nowhere.invalid/", OSError("no such host"), "resolve"),
    ],
)
def test_webhook_urls_must_be_https_and_public(url, answer, problem):
    def resolver(host, port):
        if isinstance(answer, Exception):
            raise answer
        return answer

    with pytest.raises(Invalid) as refused:
        check_webhook_url(url, resolver=resolver)
    assert refused.value.field == "url"
    assert problem in refused.value.message


@settings(max_examples=300, deadline=None)
@given(st.text() | st.builds(str.__add__, st.sampled_from(["https://", "https://["]), st.text()))
@example("https://[::1/x")
@example("https://[not-an-address]/x")
def test_any_text_as_a_webhook_url_is_accepted_or_refused_naming_the_field(url):
    try:
        check_webhook_url(url, resolver=public)
    except Invalid as refused:
        assert refused.field == "url"


@pytest.mark.parametrize(
    "address",
    ["64:ff9b::808:808", "2002:808:808::1", "::8.8.8.8", "::ffff:8.8.8.8", "2606:4700::1111"],
)
def test_ipv6_forms_carrying_a_public_ipv4_address_are_accepted(address):
    assert check_webhook_url(f"https://[{address}]/in", resolver=lambda h, p: [h])


def test_a_public_https_url_is_accepted_and_the_allow_list_opens_loopback():
    assert check_webhook_url("https://hooks.example.com/in", resolver=public)
    assert check_webhook_url("http://127.0.0.1:9/x", allow=LOOPBACK, resolver=lambda h, p: [h])


def test_the_url_is_kept_as_given_without_surrounding_blanks():
    assert check_webhook_url("  https://hooks.example.com/in?a=1  ", resolver=public) == (
        "https://hooks.example.com/in?a=1"
    )


@pytest.mark.parametrize(
    ("url", "port"),
    [
        ("https://hooks.example.com/in", 443),
        ("http://127.0.0.1/in", 80),
        ("https://hooks.example.com:8443/in", 8443),
    ],
)
def test_the_host_is_resolved_for_the_port_the_webhook_will_use(url, port):
    asked = []

    def resolver(host, at):
        asked.append((host, at))
        return [PUBLIC_V4] if url.startswith("https") else ["127.0.0.1"]

    check_webhook_url(url, allow=LOOPBACK, resolver=resolver)
    assert asked == [(url.split("/")[2].split(":")[0], port)]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://hooks.example.com/\x00", "not a URL"),
        ("https://hooks.example.com/in\nX-Evil: 1", "not a URL"),
        ("https://hooks.example.com/" + "a" * 2000, "not a URL"),
        ("https://[::1/x", "not a URL: Invalid IPv6 URL"),
        ("https://hooks.example.com:99999/in", "the port is not a number between 0 and 65535"),
        ("https://hooks.example.com:https/in", "the port is not a number between 0 and 65535"),
        ("https:///in", "give an https:// URL"),
        ("hooks.example.com/in", "give an https:// URL"),
        ("https://user@hooks.example.com/", "credentials in the URL are not allowed"),
        ("https://:pw@hooks.example.com/", "credentials in the URL are not allowed"),
    ],
)
def test_a_url_that_is_not_one_webhook_can_use_is_refused_saying_why(url, message):
    assert refusal(url).startswith(message)


def test_a_url_of_two_thousand_characters_is_accepted_and_one_more_is_not():
    url = "https://hooks.example.com/" + "a" * (2000 - len("https://hooks.example.com/"))
    assert check_webhook_url(url, resolver=public) == url
    assert refusal(url + "a") == "not a URL"


@pytest.mark.parametrize("failure", [OSError("no such host"), UnicodeError("label too long")])
def test_a_host_that_does_not_resolve_is_named(failure):
    def resolver(host, port):
        raise failure

    assert refusal("https://nowhere.example/in", resolver) == "nowhere.example does not resolve"


def test_a_host_that_resolves_to_nothing_is_named():
    assert refusal("https://empty.example/in", lambda h, p: []) == "empty.example does not resolve"


def test_the_refusal_names_the_first_private_address_the_host_resolves_to():
    message = refusal("https://mixed.example/in", lambda h, p: [PUBLIC_V4, "10.0.0.5", "::1"])
    assert message == (
        "mixed.example resolves to 10.0.0.5, a private, loopback or link-local address; "
        "webhooks go to public addresses only"
    )


def test_plain_http_is_accepted_only_when_every_address_is_one_the_allow_list_opens():
    assert check_webhook_url("http://127.0.0.1:9/x", allow=LOOPBACK, resolver=itself)
    both = lambda h, p: ["127.0.0.1", PUBLIC_V4]  # noqa: E731
    assert refusal("http://both.example/x", both, allow=LOOPBACK) == "give an https:// URL"
    assert check_webhook_url("https://both.example/x", allow=LOOPBACK, resolver=both)


@pytest.mark.parametrize(
    "address",
    [
        "::127.0.0.1",  # IPv4-compatible
        "::ffff:10.0.0.1",  # IPv4-mapped
        "::ffff:0:7f00:1",  # IPv4-translated
        "64:ff9b::a00:1",  # NAT64 to 10.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 to the metadata service
        "64:ff9b:1::808:808",  # NAT64's local-use prefix, even to a public address
        "2002:7f00:1::",  # 6to4 through 127.0.0.1
        "2002:a00:1::1",  # 6to4 through 10.0.0.1
        "2001:0:4136:e378:8000:63bf:f5ff:fffe",  # Teredo, client 10.0.0.1
        "fec0::1",  # site-local
        "fe80::1%eth0",  # link-local, with its interface
        "ff0e::1",  # global multicast
        "224.0.0.1",
        "233.252.0.1",  # global multicast (GLOP)
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",
        "::",
    ],
)
def test_an_address_that_reaches_a_private_or_multicast_one_is_refused(address):
    assert not address_allowed(address)
    assert "resolves to" in refusal("https://in.example/x", lambda h, p: [address])


def test_the_allow_list_opens_its_networks_and_no_others():
    allow = parse_allow_list("10.0.0.0/8")
    assert address_allowed("10.1.2.3", allow)
    assert not address_allowed("192.168.0.1", allow)
    assert address_allowed(PUBLIC_V4, allow)


@pytest.mark.parametrize(
    ("address", "public_"),
    [
        (PUBLIC_V4, True),
        ("2606:4700::1111", True),
        ("::ffff:8.8.8.8", True),
        ("::ffff:192.168.1.1", False),
        ("64:ff9b::808:808", True),
        ("2002:808:808::1", True),
        ("fec0::1", False),
        ("ff0e::1", False),
    ],
)
def test_is_public_follows_an_ipv6_address_to_the_ipv4_one_it_carries(address, public_):
    assert is_public(ipaddress.ip_address(address)) is public_


def test_an_allow_list_is_read_from_commas_or_a_list_with_blanks_skipped():
    networks = tuple(ipaddress.ip_network(n) for n in ("127.0.0.0/8", "::1/128"))
    assert parse_allow_list(" 127.0.0.0/8 , ,::1/128,") == networks
    assert parse_allow_list(["127.0.0.0/8", " ", "::1/128"]) == networks
    assert parse_allow_list(None) == () and parse_allow_list("") == ()
    # Host bits set are read as the network they are in.
    assert parse_allow_list("10.1.2.3/8") == (ipaddress.ip_network("10.0.0.0/8"),)


def test_a_bad_allow_list_entry_is_named():
    with pytest.raises(ValueError, match=r"^'10\.0\.0\.0/33' is not an IP network like "):
        parse_allow_list("127.0.0.1/32,10.0.0.0/33")
