"""Building and sending one message: the stdlib's EmailMessage and smtplib.

Plain data in, no Flask and no database: :func:`parse_smtp_url` reads the setting,
:func:`build` makes the message, :func:`send` hands it to the server.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from urllib.parse import parse_qs, unquote, urlsplit

DEFAULT_TIMEOUT_S = 20.0
_TRUE = {"1", "true", "yes", "on"}


class SmtpUrlError(ValueError):
    pass


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    ssl: bool  # smtps:// (implicit TLS, usually port 465)
    starttls: bool  # smtp://...?starttls=1 (usually port 587)
    username: str
    password: str
    timeout: float = DEFAULT_TIMEOUT_S

    def __repr__(self) -> str:  # never the password in a traceback or a log
        return f"SmtpSettings({self.host!r}, {self.port}, ssl={self.ssl})"


def parse_smtp_url(url: str) -> SmtpSettings:
    """``smtp://user:pass@host:587?starttls=1``, ``smtps://user:pass@host:465``,
    ``smtp://127.0.0.1:1025`` (no login). Options: ``starttls``, ``timeout``
    (seconds). Raises SmtpUrlError (without the password) when it does not parse."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps"):
        raise SmtpUrlError("SMTP_URL must start with smtp:// or smtps://")
    if not parts.hostname:
        raise SmtpUrlError("SMTP_URL has no host")
    try:
        port = parts.port
    except ValueError as e:
        raise SmtpUrlError("SMTP_URL has an invalid port") from e
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    unknown = set(query) - {"starttls", "timeout"}
    if unknown:
        raise SmtpUrlError(f"SMTP_URL has unknown options: {sorted(unknown)}")
    try:
        timeout = float(query.get("timeout", DEFAULT_TIMEOUT_S))
    except ValueError as e:
        raise SmtpUrlError("SMTP_URL timeout must be a number of seconds") from e
    implicit = parts.scheme == "smtps"
    return SmtpSettings(
        host=parts.hostname,
        port=port or (465 if implicit else 25),
        ssl=implicit,
        starttls=query.get("starttls", "").lower() in _TRUE,
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        timeout=timeout,
    )


@dataclass(frozen=True)
class Message:
    sender: str  # "Name <addr>" or "addr"
    to: str
    subject: str
    text: str
    html: str | None
    message_id: str
    date: datetime


def new_message_id(sender: str) -> str:
    domain = sender.rsplit("@", 1)[-1].strip(" >") or "localhost"
    return make_msgid(domain=domain)


def build(msg: Message) -> EmailMessage:
    """A MIME message: UTF-8 text, plus an HTML alternative when given."""
    out = EmailMessage()
    out["From"] = msg.sender
    out["To"] = Address(addr_spec=msg.to)
    out["Subject"] = msg.subject
    out["Date"] = format_datetime(msg.date)
    out["Message-ID"] = msg.message_id
    out["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies
    out.set_content(msg.text)
    if msg.html:
        out.add_alternative(msg.html, subtype="html")
    return out


def send(settings: SmtpSettings, message: EmailMessage) -> None:
    """Deliver ``message`` to the server; raises smtplib.SMTPException or OSError
    when it is refused or unreachable."""
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if settings.ssl:
        smtp = smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=settings.timeout, context=context
        )
    else:
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    with smtp:
        if settings.starttls and not settings.ssl:
            smtp.starttls(context=context)
        if settings.username:
            smtp.login(settings.username, settings.password)
        smtp.send_message(message)


# RFC 3463 enhanced status codes 5.1.x: the address itself is wrong (no such
# mailbox, no such domain, bad syntax). Sending again can only fail again, and
# repeated tries at dead addresses hurt the sender's standing with mail servers.
_BAD_ADDRESS = re.compile(r"^\s*5\.1\.\d{1,3}\b")


def permanent(error: BaseException) -> bool:
    """True when the server refused every recipient because the address does not
    exist (a 5xx reply with an enhanced code 5.1.x): no retry will deliver it.
    Other refusals (relaying or login refused, a full mailbox, a server down) may
    pass once the settings or the server are fixed, and are retried."""
    if not isinstance(error, smtplib.SMTPRecipientsRefused) or not error.recipients:
        return False
    return all(
        500 <= code < 600 and bool(_BAD_ADDRESS.match(_text(reply)))
        for code, reply in error.recipients.values()
    )


def describe(error: BaseException) -> str:
    """The failure as the admin reads it: the server's code and reply, or the
    network error; at most 500 characters."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        answers = [
            f"{code} {_text(reply)}" for code, reply in error.recipients.values()
        ]
        text = "; ".join(answers) or "recipient refused"
    elif isinstance(error, smtplib.SMTPResponseException):
        text = f"{error.smtp_code} {_text(error.smtp_error)}"
    else:
        text = str(error) or type(error).__name__
    return f"{type(error).__name__}: {text}"[:500]


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
