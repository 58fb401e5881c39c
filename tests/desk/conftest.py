"""Desk fixtures: a real SMTP server on loopback, wired into the app's TRUST_IT_SMTP_URL."""
from __future__ import annotations

import pytest

from tests.desk.smtp_server import SmtpServer, smtp_url


@pytest.fixture
def smtp(app):
    """A running SMTP server the app sends its notifications to."""
    server = SmtpServer().start()
    with smtp_url(app, server.url):
        yield server
    server.stop()


@pytest.fixture
def smtp_down(app):
    """The app is configured for an SMTP server that is not running (yet): `smtp_down.start()` brings it up."""
    server = SmtpServer()
    with smtp_url(app, server.url):
        yield server
    server.stop()
