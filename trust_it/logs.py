"""Log lines on standard error: colour codes only when a person is watching a terminal.

Werkzeug's development server colours its request lines; in a file, a pipe or journald
those codes are noise that hides the text, so they are taken out there.
"""
from __future__ import annotations

import logging
import re
import sys

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_COLOUR_CODES = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def is_terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or already closed
        return False


class PlainUnlessTerminal(logging.Formatter):
    """Drops colour codes unless its stream (standard error if not given) is a terminal.
    migrations/alembic.ini names it too: its console handler replaces ours while migrating."""

    stream = None

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        return text if is_terminal(self.stream or sys.stderr) else _COLOUR_CODES.sub("", text)


def stream_handler(stream=None) -> logging.StreamHandler:
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    formatter = PlainUnlessTerminal(FORMAT)
    formatter.stream = handler.stream
    handler.setFormatter(formatter)
    return handler


def configure() -> None:
    """INFO and above to standard error, unless the host (gunicorn, pytest) set up logging already."""
    root = logging.getLogger()
    if root.handlers:
        return
    root.addHandler(stream_handler())
    root.setLevel(logging.INFO)
