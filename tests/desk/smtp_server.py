"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, for notification tests."""
from __future__ import annotations

import email
import socket
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


class Collector:
    """The aiosmtpd handler: every message accepted and kept, parsed."""

    def __init__(self):
        self.received: list[Received] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        with self._lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


class SmtpServer:
    """`start()` listens on 127.0.0.1:`port`; until then (or after `stop()`) nothing answers there."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.collector = Collector()
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> SmtpServer:
        self._controller = Controller(self.collector, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def messages(self) -> list[EmailMessage]:
        return [r.message for r in self.collector.received]

    def to(self, address: str) -> list[EmailMessage]:
        """What arrived for one recipient (by envelope), oldest first."""
        return [r.message for r in self.collector.received if address.lower() in (a.lower() for a in r.rcpt_tos)]


@contextmanager
def smtp_url(app, url: str | None):
    """Point the app's notifications at `url` for a while, and put the setting back afterwards."""
    old = app.config.get("SMTP_URL")
    app.config["SMTP_URL"] = url
    try:
        yield
    finally:
        app.config["SMTP_URL"] = old
