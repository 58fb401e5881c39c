"""`make demo` / `trust-it demo`: the port is the user's choice, a clash is said plainly and
first, and the server's log has no colour codes when nobody is watching a terminal."""
import io
import logging
import logging.config
import shutil
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import select

from services.directory.models import Trust
from tests.conftest import data
from trust_it import logs
from trust_it.demo import demo, open_server

ROOT = Path(__file__).parents[1]


@pytest.fixture
def taken_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_a_port_in_use_is_named_with_the_way_out_before_anything_is_printed_or_seeded(app, taken_port):
    result = app.test_cli_runner().invoke(demo, ["--port", str(taken_port)])
    assert result.exit_code == 1
    assert f"Port {taken_port} on 127.0.0.1 is already in use" in result.output
    assert f"make demo PORT={taken_port + 1}" in result.output
    assert "Sign in with" not in result.output and "Traceback" not in result.output
    with data(app) as s:
        assert s.execute(select(Trust)).first() is None  # nothing seeded for a demo that cannot start


def test_make_demo_passes_the_port_and_address_on():
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    dry = subprocess.run(["make", "-n", "demo", "PORT=5123", "HOST=0.0.0.0"], cwd=ROOT, capture_output=True,
                         text=True, timeout=60)
    assert dry.returncode == 0, dry.stderr
    assert "trust-it demo --host 0.0.0.0 --port 5123" in dry.stdout


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def _serve_one_missing_page(app) -> None:
    server = open_server(app, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"http://127.0.0.1:{server.port}/no-such-page", timeout=30)
        assert missing.value.code == 404
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def request_log(app):
    """What the demo's own log handler writes for Werkzeug's request lines."""
    def written(stream) -> str:
        handler = logs.stream_handler(stream)
        werkzeug_log.addHandler(handler)
        try:
            _serve_one_missing_page(app)
        finally:
            werkzeug_log.removeHandler(handler)
        return stream.getvalue()
    werkzeug_log = logging.getLogger("werkzeug")
    return written


@pytest.fixture
def root_logging():
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_the_request_log_has_no_colour_codes_when_it_is_not_a_terminal(app, request_log):
    written = request_log(io.StringIO())
    assert '"GET /no-such-page HTTP/1.1" 404' in written
    assert "\x1b" not in written


def test_a_terminal_still_gets_colour(app, request_log):
    assert "\x1b[33mGET /no-such-page" in request_log(_Terminal())  # Werkzeug shows a 404 in yellow


def test_after_migrating_the_request_log_has_no_colour_codes_either(app, monkeypatch, root_logging):
    # The demo migrates before it serves, and migrating installs the logging of alembic.ini.
    stderr = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stderr)
    logging.config.fileConfig(ROOT / "migrations" / "alembic.ini", disable_existing_loggers=False)
    _serve_one_missing_page(app)
    assert '"GET /no-such-page HTTP/1.1" 404' in stderr.getvalue()
    assert "\x1b" not in stderr.getvalue()
