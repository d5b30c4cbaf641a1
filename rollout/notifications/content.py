"""What a notification says: email text and HTML from one template per kind of message,
written through the gettext catalogue of the contact's language (`rollout/i18n.py`) in their
time zone (the zone named), and the JSON event a webhook receives."""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache, lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, Undefined, select_autoescape
from markupsafe import Markup, escape

from rollout.dates import LOCALES, long_date
from rollout.i18n import translations
from rollout.notifications.models import Notification
from rollout.releases.notes import plain_note, render_note
from rollout.validation import strip_controls

TEMPLATES = Path(__file__).parent / "templates"
_URL = re.compile(r"https?://[^\s<>\"']+")


@dataclass(frozen=True)
class Email:
    """An email ready for the SMTP adapter; `calendar` is the window to attach as .ics."""

    message_id: str
    to_name: str
    to_address: str
    subject: str
    text: str
    html: str
    locale: str
    unsubscribe_url: str
    calendar: dict | None


@dataclass(frozen=True)
class WebhookEvent:
    """A Standard Webhooks delivery: id, body, and the secrets that sign it."""

    message_id: str
    url: str
    event: str
    body: str
    secrets: tuple[str, ...]


def format_moment(value: datetime | str, zone: str, locale: str) -> str:
    """`Saturday 12 December 2026, 09:00 EST (America/New_York)`, or in French
    `samedi 12 décembre 2026 à 09:00 CET (Europe/Paris)`."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    local = value.astimezone(ZoneInfo(zone))
    words = {"date": long_date(local, locale), "time": f"{local:%H:%M}", "zone": _zone(local, zone)}
    return translations(locale).gettext("%(date)s, %(time)s %(zone)s") % words


def format_span(start: datetime | str, end: datetime | str, zone: str, locale: str) -> str:
    """Both ends in the reader's zone, the day said once when they share it:
    `Saturday 12 December 2026, 09:00–11:00 EST (America/New_York)`."""
    start, end = (datetime.fromisoformat(v) if isinstance(v, str) else v for v in (start, end))
    first, last = start.astimezone(ZoneInfo(zone)), end.astimezone(ZoneInfo(zone))
    t = translations(locale)
    if first.date() != last.date() or first.tzname() != last.tzname():
        return t.gettext("%(start)s to %(end)s") % {
            "start": format_moment(start, zone, locale),
            "end": format_moment(end, zone, locale),
        }
    return t.gettext("%(date)s, %(start)s–%(end)s %(zone)s") % {
        "date": long_date(first, locale),
        "start": f"{first:%H:%M}",
        "end": f"{last:%H:%M}",
        "zone": _zone(first, zone),
    }


def _zone(local: datetime, zone: str) -> str:
    """`EST (America/New_York)`: the abbreviation, and the zone's name unless it is UTC."""
    return str(local.tzname()) if zone == "UTC" else f"{local.tzname()} ({zone})"


def format_duration(minutes: int, locale: str) -> str:
    """`24 hours`, `1 hour`, `30 minutes`, `2 days`; in French `24 heures`, `1 heure`."""
    t = translations(locale)
    days, hours = minutes // 1440, minutes // 60
    if days >= 1 and minutes % 1440 == 0:
        return t.ngettext("%(num)d day", "%(num)d days", days) % {"num": days}
    if hours >= 1 and minutes % 60 == 0:
        return t.ngettext("%(num)d hour", "%(num)d hours", hours) % {"num": hours}
    if minutes >= 1:
        return t.ngettext("%(num)d minute", "%(num)d minutes", minutes) % {"num": minutes}
    # A reminder under a minute (NOTIFY_REMINDERS=0m) is written as it always was.
    return t.gettext("%(num)d minutes") % {"num": minutes}


def render_email(notification: Notification, *, base_url: str) -> Email:
    """The email for `notification` to its contact, in the contact's language and zone."""
    contact = notification.contact
    locale = contact.locale if contact.locale in LOCALES else "en"
    token = contact.unsubscribe_token
    shared = None
    if _fits_in_place(contact.name) and _URL_TAIL.fullmatch(token):
        shared = _render_shared(
            notification.event,
            json.dumps(notification.payload, sort_keys=True),
            locale,
            contact.timezone,
            notification.customer.name,
            base_url,
        )
    if shared is None:
        rendered = _render(
            notification.event,
            notification.payload,
            locale,
            contact.timezone,
            notification.customer.name,
            contact.name,
            unsubscribe_url(base_url, token),
            base_url,
        )
    else:
        # Only the name and the unsubscribe token differ between recipients of one notice.
        rendered = tuple(p.replace(_NAME, contact.name).replace(_TOKEN, token) for p in shared)
    subject, text, html = rendered
    window = notification.payload.get("window")
    attach = window is not None and notification.event not in ("window.started",)
    return Email(
        message_id=notification.message_id,
        to_name=strip_controls(contact.name),
        to_address=contact.email,
        subject=subject,
        text=text,
        html=html,
        locale=locale,
        unsubscribe_url=unsubscribe_url(base_url, token),
        calendar=window if attach else None,
    )


# Stand-ins for the recipient's name and unsubscribe token in a rendering shared by every
# recipient of a notice; random per process, so no title or name can contain them.
_NAME = f"n{secrets.token_hex(12)}n"
_TOKEN = f"t{secrets.token_hex(12)}t"
# What may follow `/unsubscribe/` and be swapped in after rendering: characters that neither
# HTML escaping nor the link finder (_URL) treat differently from the stand-in's.
_URL_TAIL = re.compile(r"[A-Za-z0-9._~+/=-]+")


def _fits_in_place(name: str) -> bool:
    """Whether `name` put in place of the stand-in reads exactly as rendering it would: one
    line of printable text (no controls, no separator but the space: nothing strip_controls
    or a line split touches) without edge spaces, that HTML escaping leaves alone, and
    without `:`, so no address the link finder sees can begin inside it."""
    return name.isprintable() and name == name.strip() and not _ESCAPED_OR_COLON.search(name)


_ESCAPED_OR_COLON = re.compile("[&<>\"':]")


@lru_cache(maxsize=256)
def _render_shared(
    event: str, payload: str, locale: str, zone: str, customer: str, base_url: str
) -> tuple[str, str, str] | None:
    """One notice rendered once per language, zone and customer with the stand-ins in place
    of name and token; None if a stand-in landed where swapping it would not be exact (in
    the subject, which is folded and cut, or inside a link the HTML makes of the text)."""
    subject, text, html = _render(
        event,
        json.loads(payload),
        locale,
        zone,
        customer,
        _NAME,
        unsubscribe_url(base_url, _TOKEN),
        base_url,
    )
    if _NAME in subject or _TOKEN in subject:
        return None
    if any(_NAME in link[0] for link in _URL.finditer(text)):
        return None
    return subject, text, html


def _render(
    event: str,
    payload: dict,
    locale: str,
    zone: str,
    customer: str,
    name: str,
    unsubscribe: str,
    base_url: str,
) -> tuple[str, str, str]:
    """Subject, text and HTML of one email."""
    context = {
        "event": event,
        "p": payload,
        "name": name,
        "customer": customer,
        "zone": zone,
        "base_url": base_url,
        "unsubscribe_url": unsubscribe,
        "when": lambda value: format_moment(value, zone, locale),
        "span": lambda start, end: format_span(start, end, zone, locale),
        "duration": lambda minutes: format_duration(minutes, locale),
    }
    family = event.split(".", 1)[0]
    template = _text_templates(locale).get_template(f"{family}.txt")
    module = template.make_module({**context, "note": plain_note})
    # One line, whatever a title held: a header never carries a line break.
    subject = " ".join(strip_controls(str(module.subject)).split())[:250]
    text = strip_controls(str(module).strip()) + "\n"
    # The HTML part is the same template with each Markdown note as the pages show it
    # (render_note: sanitized), put in where the text part has its plain rendering.
    notes: list[Markup] = []
    # Unguessable, so no title or note can pose as a marker.
    marker = f"[note-{secrets.token_hex(8)}-"
    marked = str(template.make_module({**context, "note": _marking(notes, marker)})).strip()
    # Stripped before splitting into lines too: splitlines() breaks at \x0b and \x1c-\x1e.
    body, _, footer = strip_controls(marked).partition("\n-- \n")
    html = strip_controls(
        _html_templates()
        .get_template("email.html")
        .render(
            lang=locale,
            subject=subject,
            blocks=_blocks(body, notes, marker),
            footer=[_linked(line) for line in footer.strip().splitlines()],
        )
    )
    return subject, text, html


def render_webhook(notification: Notification, *, now: datetime) -> WebhookEvent:
    """The JSON event for `notification`'s endpoint, the same body on every attempt."""
    endpoint = notification.endpoint
    body = {
        "type": notification.event,
        "timestamp": notification.created_at.isoformat().replace("+00:00", "Z"),
        "data": {"customer": notification.customer.slug, **notification.payload},
    }
    return WebhookEvent(
        message_id=notification.message_id,
        url=endpoint.url,
        event=notification.event,
        body=json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False),
        secrets=tuple(endpoint.signing_secrets(now)),
    )


def unsubscribe_url(base_url: str, token: str) -> str:
    return f"{base_url}/unsubscribe/{token}"


def minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)


def _marking(notes: list[Markup], marker: str):
    def mark(markdown: str) -> str:
        notes.append(Markup(render_note(markdown)))
        return f"{marker}{len(notes) - 1}]"

    return mark


def _blocks(body: str, notes: list[Markup], marker: str) -> list[dict]:
    """Paragraphs of the text part; indented lines (a window's title and times) stand out,
    and a line holding a note's marker is that note's HTML."""
    note = re.compile(re.escape(marker) + r"(\d+)\]")
    blocks = []
    for chunk in re.split(r"\n\s*\n", body.strip()):
        lines = chunk.splitlines()
        detail = all(line.startswith("  ") for line in lines)
        marks = [note.search(line) for line in lines]
        blocks.append(
            {
                "detail": detail,
                "notes": any(marks),
                "lines": [
                    {"note": notes[int(mark[1])]} if mark else {"text": _linked(line.strip())}
                    for line, mark in zip(lines, marks, strict=True)
                ],
            }
        )
    return blocks


def _linked(line: str) -> Markup:
    """`line` escaped, with its http(s) addresses as links."""
    escaped = str(escape(line))
    return Markup(_URL.sub(lambda m: f'<a href="{m[0]}">{m[0]}</a>', escaped))


@cache
def _text_templates(locale: str) -> Environment:
    """The text templates, their `_()` reading `locale`'s catalogue."""
    environment = _environment(autoescape=False, extensions=["jinja2.ext.i18n"])
    environment.install_gettext_translations(translations(locale), newstyle=True)
    return environment


@cache
def _html_templates() -> Environment:
    return _environment(autoescape=select_autoescape(["html"]), extensions=[])


def _environment(*, autoescape, extensions: list[str]) -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=autoescape,
        extensions=extensions,
        undefined=Undefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
