"""The SMTP adapter: builds the MIME message (text, HTML, the window as a single-event .ics)
and sends it over one reused connection, telling temporary from permanent refusals."""

from __future__ import annotations

import smtplib
import ssl
import time
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage, MIMEPart
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from functools import lru_cache
from urllib.parse import urlsplit

from calendars.feeds import FeedInfo, render_feed
from calendars.windows import window_as_event
from channels.config import SmtpSettings
from rollout.notifications.content import Email
from rollout.notifications.delivery import Outcome, Result

# A connection unused this long is checked with NOOP before the next message.
IDLE_CHECK = 20.0
# At MAIL FROM this is the message's declared SIZE over the server's limit (RFC 1870):
# about the message itself, so the one refusal there that retrying cannot cure.
TOO_LARGE = 552


class SmtpSender:
    """Sends emails through one SMTP server, keeping the connection between messages."""

    def __init__(self, settings: SmtpSettings, *, public_url: str):
        self.settings = settings
        self.public_url = public_url.rstrip("/")
        self.envelope_from = parseaddr(settings.sender)[1]
        self.domain = self.envelope_from.rpartition("@")[2] or "rollout.invalid"
        self._connection: smtplib.SMTP | None = None
        self._used = 0.0

    def compose(self, email: Email) -> EmailMessage:
        """The MIME message; header values never carry line breaks (EmailMessage refuses)."""
        message = EmailMessage(policy=policy.SMTP)
        message["From"] = self.settings.sender
        message["To"] = formataddr((email.to_name, email.to_address))
        message["Subject"] = email.subject
        message["Date"] = format_datetime(datetime.now(UTC))
        # The same on every retry: a receiver (or the reader) can tell a repeat.
        message["Message-ID"] = f"<{email.message_id}@{self.domain}>"
        message["List-Unsubscribe"] = f"<{email.unsubscribe_url}>"
        # RFC 8058 allows one-click only with an https URI; over http the link still works.
        if urlsplit(email.unsubscribe_url).scheme == "https":
            message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message["Auto-Submitted"] = "auto-generated"
        # Quoted-printable: 7-bit clean for any relay, and no encoding guesswork per message.
        message.set_content(email.text, cte="quoted-printable")
        message.add_alternative(email.html, subtype="html", cte="quoted-printable")
        if email.calendar is not None:
            message.make_mixed()
            message.attach(
                _invitation(self.public_url, self.settings.sender, _frozen(email.calendar))
            )
        # Last: building the parts moves Content-* headers into them.
        message["Content-Language"] = email.locale
        return message

    def send(self, email: Email) -> Outcome:
        """Deliver one email. Only a 5xx refusing the recipient or the message fails it for
        good; anything else (4xx, a dropped connection, our login or sender refused) is
        retried: the server's state and our settings can change, this message cannot."""
        try:
            message = self.compose(email)
        except Exception as exc:  # the same content would fail the same way on every retry
            return Outcome(Result.FAILED, f"cannot build the message: {type(exc).__name__}: {exc}")
        return self._deliver(message, email.to_address)

    def send_text(self, *, to_name: str, to_address: str, subject: str, text: str) -> Outcome:
        """Deliver a plain-text message a person asked for (a sign-in link) at once: no
        unsubscribe link, no retries after this one."""
        message = EmailMessage(policy=policy.SMTP)
        message["From"] = self.settings.sender
        message["To"] = formataddr((to_name, to_address))
        message["Subject"] = subject
        message["Date"] = format_datetime(datetime.now(UTC))
        message["Message-ID"] = make_msgid(domain=self.domain)
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(text, cte="quoted-printable")
        return self._deliver(message, to_address)

    def _deliver(self, message: EmailMessage, to_address: str) -> Outcome:
        try:
            connection = self._connect()
        except (smtplib.SMTPException, OSError) as exc:
            # Connecting, STARTTLS and AUTH are about the server and our credentials.
            return _unavailable(exc)
        try:
            connection.send_message(message, from_addr=self.envelope_from, to_addrs=[to_address])
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            return _refusal(code, text)
        except smtplib.SMTPDataError as exc:
            if exc.smtp_code == 421 or not 400 <= exc.smtp_code < 600:
                self.close()
            return _refusal(exc.smtp_code, exc.smtp_error)
        except smtplib.SMTPSenderRefused as exc:
            if exc.smtp_code == 421:
                self.close()
            if exc.smtp_code == TOO_LARGE:
                return _refusal(exc.smtp_code, exc.smtp_error)
            # 530 authentication required, 550 or 553 sender not allowed: our SMTP_FROM or
            # credentials are wrong for every message alike, and will be fixed.
            detail = _detail(exc.smtp_code, exc.smtp_error)
            if exc.smtp_code >= 500:  # a 4xx is the server's state (greylisting, rate limit)
                detail += f" (sender {self.envelope_from} refused: check SMTP_FROM and the login)"
            return Outcome(Result.RETRY, detail, code=exc.smtp_code)
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            return _unavailable(exc)
        self._used = time.monotonic()
        return Outcome(Result.DELIVERED, "250 accepted", code=250)

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.quit()
            except (smtplib.SMTPException, OSError):
                connection.close()

    def _connect(self) -> smtplib.SMTP:
        if self._connection is not None and time.monotonic() - self._used > IDLE_CHECK:
            try:
                if self._connection.noop()[0] != 250:
                    self.close()
            except (smtplib.SMTPException, OSError):
                self.close()
        if self._connection is None:
            self._connection = _open(self.settings)
        self._used = time.monotonic()
        return self._connection


def smtp_problem(settings: SmtpSettings) -> str | None:
    """Connect, EHLO, STARTTLS and log in as delivering would, sending nothing: what went
    wrong in plain words, naming the setting to look at, or None."""
    where = f"the SMTP server at {settings.host}:{settings.port}"
    try:
        connection = _open(settings)
    except smtplib.SMTPAuthenticationError as exc:
        return (
            f"{where} refused the login ({_detail(exc.smtp_code, exc.smtp_error)}): "
            "check SMTP_USERNAME and SMTP_PASSWORD"
        )
    except smtplib.SMTPNotSupportedError as exc:  # an extension it did not offer in EHLO
        if "STARTTLS" in str(exc):
            return f"{where} does not offer STARTTLS: set SMTP_SECURITY to tls or none"
        return f"{where} offers no login (AUTH) over this connection, yet SMTP_USERNAME is set"
    except ssl.SSLError as exc:
        reason = getattr(exc, "verify_message", None) or exc.reason or exc
        return f"TLS with {where} failed ({reason}): check SMTP_SECURITY and SMTP_PORT"
    except smtplib.SMTPResponseException as exc:
        return f"{where} refused us: {_detail(exc.smtp_code, exc.smtp_error)}"
    except smtplib.SMTPServerDisconnected as exc:  # e.g. TLS expected, or not SMTP at all
        return f"{where} broke off ({exc}): check SMTP_SECURITY and SMTP_PORT"
    except smtplib.SMTPException as exc:
        return f"{where}: {exc}"
    except OSError as exc:
        return f"cannot reach {where}: {exc.strerror or exc}"
    try:
        connection.quit()
    except (smtplib.SMTPException, OSError):
        connection.close()
    return None


def _open(s: SmtpSettings) -> smtplib.SMTP:
    """A connection to the server, greeted, with TLS and the login as configured."""
    context = ssl.create_default_context()
    if s.security == "tls":
        connection = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=context)
    else:
        connection = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
    try:
        connection.ehlo_or_helo_if_needed()
        if s.security == "starttls":
            connection.starttls(context=context)
        if s.username:
            connection.login(s.username, s.password or "")
    except BaseException:
        connection.close()
        raise
    return connection


def _detail(code: int, text: bytes | str) -> str:
    detail = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    return f"{code} {detail}".strip()[:500]


def _unavailable(exc: smtplib.SMTPException | OSError) -> Outcome:
    code = getattr(exc, "smtp_code", None)
    if code is None:
        return Outcome(Result.RETRY, f"SMTP connection failed: {exc or type(exc).__name__}")
    detail = _detail(code, exc.smtp_error)
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        detail += " (login refused: check SMTP_USERNAME and SMTP_PASSWORD)"
    return Outcome(Result.RETRY, detail, code=code)


def _refusal(code: int, text: bytes | str) -> Outcome:
    detail = _detail(code, text)
    if 400 <= code < 500:
        return Outcome(Result.RETRY, detail, code=code)
    return Outcome(Result.FAILED, detail, code=code)


def _frozen(window: dict) -> tuple:
    keys = ("id", "sequence", "title", "status", "starts_at", "ends_at", "timezone", "public")
    return tuple((k, window.get(k)) for k in keys) + (
        ("created_at", window.get("created_at")),
        ("updated_at", window.get("updated_at")),
    )


@lru_cache(maxsize=256)
def _invitation(public_url: str, sender: str, window: tuple) -> MIMEPart:
    """The .ics attachment, built once per window revision and shared by its messages."""
    part = MIMEPart(policy=policy.SMTP)
    part.set_content(
        window_ics(public_url, sender, window),
        maintype="text",
        subtype="calendar",
        disposition="attachment",
        filename=f"maintenance-{dict(window)['id']}.ics",
        params={"method": "PUBLISH"},
    )
    return part


@lru_cache(maxsize=256)
def window_ics(public_url: str, sender: str, window: tuple) -> bytes:
    """One window as a single-event calendar file, with the UID its feeds use, so opening
    it updates the event a subscribed calendar already has; an iTIP PUBLISH from `sender`."""
    w = dict(window)
    starts, ends = datetime.fromisoformat(w["starts_at"]), datetime.fromisoformat(w["ends_at"])
    created = datetime.fromisoformat(w.get("created_at") or w["starts_at"])
    modified = datetime.fromisoformat(w.get("updated_at") or w["starts_at"])
    event = window_as_event(
        public_url,
        window_id=w["id"],
        sequence=w["sequence"],
        title=" ".join(w["title"].split()),  # one line, like the subject
        status=w["status"],
        starts_at=starts,
        ends_at=ends,
        timezone=w["timezone"],
        created=created,
        last_modified=modified,
        linked=bool(w.get("public")),
    )
    return render_feed(FeedInfo(name=event.title, organizer=sender), [event])
