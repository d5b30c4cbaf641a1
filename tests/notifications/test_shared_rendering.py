"""One notice to thousands: the parts every recipient shares are rendered once, and only the
name, the unsubscribe link and the recipient's headers change per message. Each such email
must be exactly what a fresh render would give, and no hostile name or subject may add a
header or break folding."""

from __future__ import annotations

import json
import smtplib
from email import message_from_bytes, policy
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from channels.config import SmtpSettings
from channels.email import SmtpSender, _header_line, _quoted
from rollout.notifications.content import Email, _render, render_email, unsubscribe_url
from rollout.notifications.delivery import Result

# A payload of every kind of notice, as the triggers write them.
KINDS = json.loads((Path(__file__).parent / "email_kinds.json").read_text())
BASE_URL = "https://rollout.test"
SENDER = SmtpSender(
    SmtpSettings(host="127.0.0.1", port=1, security="none", sender="Rollout <ops@rollout.test>"),
    public_url=BASE_URL,
)
HOSTILE_NAMES = [
    "Ada Ops",
    'Doe, "Jane"',
    "Élise Dupont-Ébène",
    "O'Brien & <Sons>",
    "see https://evil.test/x",
    "José 🚀 " + "Ñ" * 90,
    "Eve\tTab",
    "  spaced  ",
    "x" * 120,
]
names = st.one_of(st.sampled_from(HOSTILE_NAMES), st.text(max_size=60))
tokens = st.one_of(st.just("tok_EN-123"), st.text(min_size=1, max_size=40))


def notice(event: str, name: str, token: str, *, locale: str = "en", zone: str = "UTC"):
    contact = SimpleNamespace(
        name=name, email="ops@acme.test", locale=locale, timezone=zone, unsubscribe_token=token
    )
    return SimpleNamespace(
        event=event,
        payload=KINDS[event],
        contact=contact,
        customer=SimpleNamespace(name="Acme & Co"),
        message_id="msg_01TEST",
    )


def fresh(n) -> tuple[str, str, str]:
    """The email rendered for this recipient alone, sharing nothing."""
    c = n.contact
    url = unsubscribe_url(BASE_URL, c.unsubscribe_token)
    return _render(n.event, n.payload, c.locale, c.timezone, n.customer.name, c.name, url, BASE_URL)


@pytest.mark.parametrize("event", sorted(KINDS))
@pytest.mark.parametrize("locale,zone", [("en", "America/New_York"), ("fr", "Europe/Paris")])
def test_every_kind_of_notice_reads_as_a_fresh_render_for_every_recipient(event, locale, zone):
    for name in HOSTILE_NAMES:
        n = notice(event, name, "tok_EN-123", locale=locale, zone=zone)
        email = render_email(n, base_url=BASE_URL)
        assert (email.subject, email.text, email.html) == fresh(n)


@settings(max_examples=80, deadline=None)
@given(event=st.sampled_from(sorted(KINDS)), name=names, token=tokens)
def test_any_name_and_token_read_as_a_fresh_render(event, name, token):
    n = notice(event, name, token)
    email = render_email(n, base_url=BASE_URL)
    assert (email.subject, email.text, email.html) == fresh(n)


def parsed(data: bytes) -> tuple[list, list]:
    """Headers and every part's type, parameters and decoded content; not what differs by
    design (Date, the random boundaries), nor the spaces around a display name (folding
    white space, which the `email` package keeps in one way of writing and not another)."""
    message = message_from_bytes(data, policy=policy.default)
    skip = ("Date", "MIME-Version", "Content-Type", "To")
    headers = sorted((k, str(v)) for k, v in message.items() if k not in skip)
    headers += [(a.display_name.strip(), a.addr_spec) for a in message["To"].addresses]
    parts = []
    for part in message.walk():
        content = None if part.is_multipart() else part.get_content()
        params = {k: v for k, v in part["Content-Type"].params.items() if k != "boundary"}
        parts.append((part.get_content_type(), params, part.get_filename(), content))
    return headers, parts


def an_email(event: str, name: str, subject: str | None = None) -> Email:
    email = render_email(notice(event, name, "tok_EN-123"), base_url=BASE_URL)
    if subject is not None:
        email = Email(**(vars(email) | {"subject": subject}))
    return Email(**(vars(email) | {"to_name": name}))


@pytest.mark.parametrize(
    "event,name",
    [(event, HOSTILE_NAMES[1]) for event in sorted(KINDS)]
    + [("window.announced", name) for name in HOSTILE_NAMES],
)
def test_the_bytes_built_from_a_skeleton_parse_as_the_composed_message(event, name):
    email = an_email(event, name)
    built = SENDER.message_bytes(email)
    assert parsed(built) == parsed(SENDER.compose(email).as_bytes(policy=policy.SMTP))
    assert built.count(b"\nTo:") == 1 and b"\n\n" not in built.replace(b"\r\n", b"")


LINE_BREAKS = "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def one_line(value: str) -> bool:
    """What a header may hold (the rest is refused, tested below)."""
    return not any(c in LINE_BREAKS for c in value)


def built_both_ways(email: Email) -> list:
    """The email from the skeleton and composed afresh, each parsed, or the error refusing it."""
    found = []
    for build in (
        lambda: SENDER.message_bytes(email),
        lambda: SENDER.compose(email).as_bytes(policy=policy.SMTP),
    ):
        try:
            found.append(parsed(build()))
        except ValueError as refused:
            found.append(type(refused))
    return found


@settings(max_examples=60, deadline=None)
@given(
    name=names.filter(one_line),
    subject=st.text(min_size=1, max_size=300).filter(one_line),
)
def test_any_name_and_subject_parse_back_as_the_composed_message(name, subject):
    email = an_email("window.announced", name, subject=subject)
    skeleton, composed = built_both_ways(email)
    assert skeleton == composed


def test_long_headers_fold_within_the_line_limit():
    email = an_email("window.moved", "José " + "Ñ" * 200, subject="Maintenance " * 30)
    data = SENDER.message_bytes(email)
    head = data.split(b"\r\n\r\n", 1)[0]
    assert all(len(line) <= 78 for line in head.split(b"\r\n"))
    message = message_from_bytes(data, policy=policy.default)
    assert message["Subject"] == ("Maintenance " * 30)
    skeleton, composed = built_both_ways(email)
    assert skeleton == composed


@pytest.mark.parametrize("field", ["to_name", "subject"])
@pytest.mark.parametrize("where", ["Eve{}Bcc: v@evil.test", "Eve{}"])
@pytest.mark.parametrize("line_break", ["\r\n", *LINE_BREAKS])
def test_a_line_break_in_a_name_or_subject_adds_no_header(field, where, line_break):
    clean = an_email("window.announced", "Eve")
    email = Email(**(vars(clean) | {field: where.format(line_break)}))
    try:
        data = SENDER.message_bytes(email)
    except ValueError:  # refused: the message fails for good, nothing is sent
        outcome = SENDER.send(email)
        assert outcome.result == Result.FAILED and "cannot build the message" in outcome.detail
        return
    # Or written as an encoded word (a name that is not ASCII), inside its one header.
    assert line_break not in data.decode("ascii")
    message = message_from_bytes(data, policy=policy.default)
    expected = message_from_bytes(SENDER.message_bytes(clean), policy=policy.default)
    assert message["Bcc"] is None and message.keys() == expected.keys()
    assert [a.addr_spec for a in message["To"].addresses] == ["ops@acme.test"]


@settings(max_examples=200, deadline=None)
@given(word=st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=90))
def test_one_long_word_in_a_header_is_folded_exactly_as_the_email_package_folds_it(word):
    for value in (word, f"<{BASE_URL}/unsubscribe/{word}>"):
        try:
            expected = policy.SMTP.fold_binary(
                *policy.SMTP.header_store_parse("List-Unsubscribe", value)
            )
        except ValueError:
            continue
        assert _header_line("List-Unsubscribe", value) == expected


addresses = st.one_of(
    st.from_regex(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,20}@[A-Za-z0-9.-]{1,20}", fullmatch=True),
    st.text(max_size=40),
)


@settings(max_examples=500, deadline=None)
@given(address=addresses)
def test_an_address_is_quoted_for_mail_and_rcpt_exactly_as_smtplib_quotes_it(address):
    assert _quoted(address) == smtplib.quoteaddr(address)
