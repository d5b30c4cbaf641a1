"""The SMTP adapter: builds the MIME message (text, HTML, the window as a single-event .ics)
and sends it over one reused connection, telling temporary from permanent refusals."""

from __future__ import annotations

import binascii
import logging
import re
import secrets
import smtplib
import ssl
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress
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

log = logging.getLogger("rollout.smtp")

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
        for name, value in self._recipient_headers(email):
            message[name] = value
        _fill(
            message,
            email.subject,
            email.text,
            email.html,
            email.locale,
            self._invitation(email),
            one_click=_one_click(email.unsubscribe_url),
        )
        return message

    def message_bytes(self, email: Email) -> bytes:
        """What compose gives, serialised, built from a skeleton shared by every email with
        the same subject, language and window: only the recipient's headers and the two
        text parts are made per message."""
        head, middle, between, tail = _skeleton(
            self.settings.sender,
            email.subject,
            email.locale,
            _frozen(email.calendar) if email.calendar is not None else None,
            self.public_url,
            _one_click(email.unsubscribe_url),
        )
        headers = b"".join(_header_line(n, v) for n, v in self._recipient_headers(email))
        return head + headers + middle + _qp(email.text) + between + _qp(email.html) + tail

    def send(self, email: Email) -> Outcome:
        """Deliver one email. Only a 5xx refusing the recipient or the message fails it for
        good; anything else (4xx, a dropped connection, our login or sender refused) is
        retried: the server's state and our settings can change, this message cannot."""
        return next(self.send_each([email]))

    def send_each(self, emails: Iterable[Email]) -> Iterator[Outcome]:
        """Deliver each email in turn, yielding its outcome (as `send` tells them) in order.
        Still one command at a time, but the server's reply to a message's content is read
        only after the caller has handled the previous outcome and the next email is built:
        that work is done while the server takes the message in, not after. Closed early,
        a message whose reply was never read counts as not sent (its connection dropped)."""
        emails = iter(emails)
        email = next(emails, None)
        ready = None if email is None else self._build(email)
        previous: Outcome | None = None
        awaiting = False  # the server's reply to a message's content is still to be read
        try:
            while email is not None:
                outcome = self._start(email.to_address, ready)
                awaiting = outcome is None
                if previous is not None:
                    yield previous
                email = next(emails, None)
                ready = None if email is None else self._build(email)
                if awaiting:
                    previous = self._outcome(_read_acceptance, self._connection) or _ACCEPTED
                    awaiting = False
                else:
                    previous = outcome
            if previous is not None:
                yield previous
        finally:
            if awaiting:  # closed while the server still owed a reply: the session is unusable
                self._drop()

    def _start(self, to: str, ready: bytes | EmailMessage | Outcome) -> Outcome | None:
        """Send a built message up to the server's reply to its content (None: awaited)."""
        if isinstance(ready, Outcome):
            return ready
        if isinstance(ready, bytes):
            return self._deliver(lambda c: _send_content(c, self.envelope_from, to, ready))
        # An international address needs SMTPUTF8, which send_message negotiates.
        sent = self._deliver(
            lambda c: c.send_message(ready, from_addr=self.envelope_from, to_addrs=[to])
        )
        return sent or _ACCEPTED

    def _build(self, email: Email) -> bytes | EmailMessage | Outcome:
        try:
            if (self.envelope_from + email.to_address).isascii():
                return self.message_bytes(email)
            return self.compose(email)
        except Exception as exc:  # the same content would fail the same way on every retry
            return Outcome(Result.FAILED, f"cannot build the message: {type(exc).__name__}: {exc}")

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
        return (
            self._deliver(
                lambda c: c.send_message(
                    message, from_addr=self.envelope_from, to_addrs=[to_address]
                )
            )
            or _ACCEPTED
        )

    def _recipient_headers(self, email: Email) -> list[tuple[str, str]]:
        return [
            ("To", formataddr((email.to_name, email.to_address))),
            ("Date", format_datetime(datetime.now(UTC))),
            # The same on every retry: a receiver (or the reader) can tell a repeat.
            ("Message-ID", f"<{email.message_id}@{self.domain}>"),
            ("List-Unsubscribe", f"<{email.unsubscribe_url}>"),
        ]

    def _invitation(self, email: Email) -> MIMEPart | None:
        if email.calendar is None:
            return None
        return _invitation(self.public_url, self.settings.sender, _frozen(email.calendar))

    def _deliver(self, send: Callable[[smtplib.SMTP], object]) -> Outcome | None:
        """What went wrong, or None once `send` has done its part over the connection."""
        try:
            connection = self._connect()
        except (smtplib.SMTPException, OSError) as exc:
            # Connecting, STARTTLS and AUTH are about the server and our credentials.
            return _unavailable(exc)
        return self._outcome(send, connection)

    def _outcome(
        self, send: Callable[[smtplib.SMTP], object], connection: smtplib.SMTP | None
    ) -> Outcome | None:
        try:
            if connection is None:
                raise smtplib.SMTPServerDisconnected("the connection was closed")
            send(connection)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            if code == 421:
                self.close()
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
        except Exception as exc:  # a bug here must not take the rest of a batch down
            self._drop()  # and leaves the session in an unknown state
            log.exception("sending an email failed unexpectedly")
            return Outcome(Result.RETRY, f"unexpected error: {type(exc).__name__}: {exc}")
        self._used = time.monotonic()
        return None

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()

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


_ACCEPTED = Outcome(Result.DELIVERED, "250 accepted", code=250)


def _send_content(connection: smtplib.SMTP, sender: str, recipient: str, data: bytes) -> None:
    """smtplib's sendmail for one recipient up to the server's reply to the content itself,
    which _read_acceptance reads; refusals raise as sendmail raises them."""
    connection.ehlo_or_helo_if_needed()
    size = connection.does_esmtp and connection.has_extn("size")
    # MAIL and RCPT as smtplib's mail() and rcpt() write them, the addresses quoted without
    # parsing them each time (a fifth of a message's own work).
    connection.putcmd("mail", f"FROM:{_quoted(sender)}{f' size={len(data)}' if size else ''}")
    code, reply = connection.getreply()
    if code != 250:
        _abandon(connection, code)
        raise smtplib.SMTPSenderRefused(code, reply, sender)
    connection.putcmd("rcpt", f"TO:{_quoted(recipient)}")
    code, reply = connection.getreply()
    if code not in (250, 251):
        _abandon(connection, code)
        raise smtplib.SMTPRecipientsRefused({recipient: (code, reply)})
    code, reply = connection.docmd("data")
    if code != 354:
        _abandon(connection, code)
        raise smtplib.SMTPDataError(code, reply)
    # Dot-stuffing as smtplib does it; every message built here ends in a line break.
    content = _LEADING_DOT.sub(b"..", data)
    connection.send(content + b".\r\n" if content.endswith(b"\r\n") else content + b"\r\n.\r\n")


def _read_acceptance(connection: smtplib.SMTP) -> None:
    code, reply = connection.getreply()
    if code != 250:
        _abandon(connection, code)
        raise smtplib.SMTPDataError(code, reply)


_LEADING_DOT = re.compile(rb"(?m)^\.")

# An address smtplib's quoteaddr gives back unchanged inside <>: dot-atoms on both sides.
_PLAIN_ADDRESS = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*"
)


def _quoted(address: str) -> str:
    """smtplib.quoteaddr(address), without the email package's parser for a plain one."""
    if _PLAIN_ADDRESS.fullmatch(address):
        return f"<{address}>"
    return smtplib.quoteaddr(address)


def _abandon(connection: smtplib.SMTP, code: int) -> None:
    """After a refusal, as sendmail does: a 421 means the server is closing; otherwise reset
    the transaction for the next message."""
    if code == 421:
        connection.close()
        return
    with suppress(smtplib.SMTPServerDisconnected):
        connection.rset()


def _fill(
    message: EmailMessage,
    subject: str,
    text: str,
    html: str,
    locale: str,
    invitation: MIMEPart | None,
    *,
    one_click: bool,
) -> None:
    """Everything but From and the recipient's headers."""
    message["Subject"] = subject
    if one_click:
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Auto-Submitted"] = "auto-generated"
    # Quoted-printable: 7-bit clean for any relay, and no encoding guesswork per message.
    message.set_content(text, cte="quoted-printable")
    message.add_alternative(html, subtype="html", cte="quoted-printable")
    if invitation is not None:
        message.make_mixed()
        message.attach(invitation)
    # Last: building the parts moves Content-* headers into them.
    message["Content-Language"] = locale


def _one_click(unsubscribe_url: str) -> bool:
    """RFC 8058 allows one-click only with an https URI; over http the link still works."""
    return urlsplit(unsubscribe_url).scheme == "https"


# Where each message's text and HTML go in a skeleton; random, so no subject can hold them.
_TEXT_SLOT = f"text{secrets.token_hex(12)}".encode()
_HTML_SLOT = f"html{secrets.token_hex(12)}".encode()


@lru_cache(maxsize=256)
def _skeleton(
    sender: str,
    subject: str,
    locale: str,
    window: tuple | None,
    public_url: str,
    one_click: bool,
) -> tuple[bytes, bytes, bytes, bytes]:
    """One email serialised by the `email` package with slots for what differs per message,
    cut at them: before the recipient's headers, before the text, between text and HTML,
    after the HTML. Its MIME boundaries (`===...==`) cannot occur in any message's parts:
    quoted-printable writes `=` as `=3D`, and base64 has `=` only as its last padding."""
    _refuse_line_breaks("Subject", subject)
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = sender
    invitation = None if window is None else _invitation(public_url, sender, window)
    _fill(
        message,
        subject,
        _TEXT_SLOT.decode(),
        _HTML_SLOT.decode(),
        locale,
        invitation,
        one_click=one_click,
    )
    data = message.as_bytes(policy=policy.SMTP)
    from_end = data.index(b"\r\n") + 2
    text_at, html_at = data.index(_TEXT_SLOT), data.index(_HTML_SLOT)
    # Each slot was written as one line; _qp ends each part with its own line break.
    text_end, html_end = text_at + len(_TEXT_SLOT) + 2, html_at + len(_HTML_SLOT) + 2
    return (
        data[:from_end],
        data[from_end:text_at],
        data[text_end:html_at],
        data[html_end:],
    )


def _qp(text: str) -> bytes:
    """`text` as the `email` package writes a quoted-printable UTF-8 part (lines split as
    bytes.splitlines does, a line break at the end), in C rather than Python."""
    body = b"\n".join(text.encode().splitlines()) + b"\n"
    return binascii.b2a_qp(body, istext=True).replace(b"\n", b"\r\n")


_ONE_WORD = re.compile(r"[!->@-~]+")


def _header_line(name: str, value: str) -> bytes:
    """One header as the `email` package folds it; a short printable ASCII one as it is (the
    package leaves those alone), anything else through the package, which refuses line
    breaks and encodes what is not ASCII."""
    line = f"{name}: {value}"
    if line.isascii() and line.isprintable():
        if len(line) <= policy.SMTP.max_line_length:
            return line.encode() + b"\r\n"
        if _ONE_WORD.fullmatch(value) and len(value) < policy.SMTP.max_line_length:
            # One word too long beside its name (an unsubscribe link): the package moves it
            # to a line of its own; "?" excluded, so it cannot be read as an encoded word.
            return f"{name}:\r\n {value}\r\n".encode()
    _refuse_line_breaks(name, value)
    return policy.SMTP.fold_binary(*policy.SMTP.header_store_parse(name, value))


# What str.splitlines breaks at. The package refuses a value it splits into lines, yet lets
# one through that only ends in a break ("x\n", "\r").
_LINE_BREAK = re.compile("[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


def _refuse_line_breaks(name: str, value: str) -> None:
    if _LINE_BREAK.search(value):
        raise ValueError(f"a {name} header may not hold a line break")


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
