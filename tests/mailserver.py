"""A real SMTP server for tests (aiosmtpd), and reading links out of its mail."""

from __future__ import annotations

import re
import socket
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

from aiosmtpd.controller import Controller

_LINK = re.compile(r"https?://[^\s<>\"')]+")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def links(message: EmailMessage) -> list[str]:
    """Every http(s) link in the mail's text part, in order."""
    part = message.get_body(preferencelist=("plain",))
    assert part is not None, "the mail has no text part"
    return _LINK.findall(part.get_content())


def link_path(url: str) -> str:
    """The path and query of a link, to open with the test client."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_RCPT(
        self, _server: Any, _session: Any, envelope: Any, address: str, _opts: Any
    ) -> str:
        if self.server.refuse:
            return self.server.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self.server.lock:
            self.server.messages.append(message)
            self.server.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted"


class SmtpServer:
    """aiosmtpd on 127.0.0.1 and a free port. ``messages``: what it accepted, as
    EmailMessage; set ``refuse`` to an SMTP reply ("550 5.7.1 Relaying denied") to
    refuse every recipient."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refuse: str | None = None
        self.lock = threading.Lock()
        self.port = free_port()
        self._controller = Controller(
            _Handler(self), hostname="127.0.0.1", port=self.port
        )

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}?timeout=5"

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    def to(self, address: str) -> list[EmailMessage]:
        """The messages addressed to ``address``."""
        return [m for m in self.messages if address in str(m["To"])]

    def last_to(self, address: str) -> EmailMessage:
        found = self.to(address)
        assert found, f"no mail to {address} (got {len(self.messages)} others)"
        return found[-1]

    def links_to(self, address: str) -> list[str]:
        """The links of the last mail to ``address``."""
        return links(self.last_to(address))
