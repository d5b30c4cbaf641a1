"""A release email through a real SMTP server: the notes read as the pages show them (sanitized
HTML) and as plain text, never as raw Markdown; no control character reaches a header."""

from __future__ import annotations

import pytest

from rollout import releases
from rollout.notifications import release_published
from tests.conftest import NOW
from tests.factories import make_customer, make_region
from tests.notifications.conftest import add_contact
from web.worker import run

NOTE = (
    "Invoices print **long** addresses. See [the guide](https://docs.example/invoices) "
    "or [click me](javascript:alert(1)).\n\n- one\n- two"
)


@pytest.fixture
def december(session):
    make_region(session, "us")
    acme = make_customer(session, "acme", "us")
    add_contact(session, acme, "ada@acme.test", name="Ada")
    release = releases.create_release(session, version="2026.12", title="December", now=NOW)
    releases.add_item(session, "2026.12", kind="fix", summary="s", public_note=NOTE, now=NOW)
    return release


def sent(session, release, smtp, make_worker):
    release_published(session, release, now=NOW)
    assert run(make_worker(smtp.port), once=True) == 1
    [message] = smtp.messages
    return message


def test_a_release_email_shows_its_notes_sanitized_in_html_and_plain_in_text(
    session, december, smtp, make_worker
):
    message = sent(session, december, smtp, make_worker)
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    html = message.get_body(("html",)).get_content()
    assert "- Invoices print long addresses. See the guide (https://docs.example/invoices)" in text
    assert "or click me." in text
    assert "  - one\n  - two" in text
    assert "<strong>long</strong>" in html
    assert '<a href="https://docs.example/invoices"' in html
    for part in (text, html):
        assert "**" not in part and "javascript:" not in part and "](" not in part


def test_a_control_character_already_stored_in_a_title_never_reaches_the_mail(
    session, december, smtp, make_worker
):
    december.title = "Dec\x01em\x0bber"  # written before titles were checked
    session.flush()
    message = sent(session, december, smtp, make_worker)
    assert message["Subject"] == "Release 2026.12: December"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "(December)" in text and "(December)" in html
    assert "\x01" not in text + html and "\x0b" not in text + html
