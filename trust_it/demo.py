"""`trust-it demo` (migrate, seed, serve) and `trust-it seed` (generate a large trust)."""
from __future__ import annotations

import errno
import socket
import threading

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from trust_it import jobs
from trust_it.extensions import db
from trust_it.tenancy import unscoped


def open_server(app, host: str, port: int):
    """Take the address before anything else is done or printed, so a clash is said plainly
    and first, with the way out (Werkzeug would print a bare "Address already in use" after
    the sign-ins). Port 0 takes any free port: `server.port` says which."""
    from werkzeug.serving import make_server, select_address_family
    sock = socket.socket(select_address_family(host, port), socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Werkzeug: a restart gets its port back
    try:
        sock.bind((host, port))
        sock.listen(socket.SOMAXCONN)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise click.ClickException(
                f"Port {port} on {host} is already in use (another demo, or another program). "
                f"Choose a free port: make demo PORT={port + 1}  (or: trust-it demo --port {port + 1})") from None
        raise click.ClickException(f"Cannot serve on {host}:{port}: {exc.strerror or exc}") from None
    with sock:  # the server works on its own duplicate of the socket
        return make_server(host, sock.getsockname()[1], app, threaded=True, fd=sock.fileno())


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to serve on (make demo HOST=…).")
@click.option("--port", default=5000, show_default=True, type=int, help="Port to serve on (make demo PORT=…).")
@click.option("--no-serve", is_flag=True, help="Migrate and seed, then exit.")
@with_appcontext
def demo(host, port, no_serve):
    """Migrate the database, seed the demo trust (once) and serve it."""
    from flask_migrate import upgrade

    from services.directory.generate import DEMO_PASSWORD, DEMO_PEOPLE, create_demo_trust
    from services.directory.models import Trust
    from trust_it import jobs

    app = current_app._get_current_object()
    server = None if no_serve else open_server(app, host, port)
    port = server.port if server else port
    if not app.config.get("BASE_URL"):
        app.config["BASE_URL"] = f"http://{host}:{port}"  # links in the outbox's emails point here
    upgrade()
    with unscoped():
        if db.session.execute(select(Trust.id).limit(1)).first() is None:
            create_demo_trust()
            jobs.commit()
            click.echo("Seeded the demo trust: Oak Valley Learning Trust (6 schools).")
    db.session.remove()
    url = f"http://{host}:{port}/"
    click.echo(f"\ntrust-it demo: {url}\n\nSign in with any of these (password: {DEMO_PASSWORD}):")
    for email, _name, role, slug in DEMO_PEOPLE:
        where = "the four primaries" if role == "msp_engineer" else (slug or "trust-wide")
        click.echo(f"  {email:34} {role:14} {where}")
    click.echo(f"\nDatabase: {app.config['SQLALCHEMY_DATABASE_URI']}\n")
    if server is None:
        return
    if jobs.is_inline():
        threading.Thread(target=jobs.run_scheduler, args=(app,), kwargs={"interval": 30.0},
                         name="scheduler", daemon=True).start()
    click.echo(f"Serving {url} (another port: make demo PORT={port + 1}). Press Ctrl+C to stop.")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@click.command("seed")
@click.option("--schools", default=150, show_default=True, type=int)
@click.option("--users-per-school", default=40, show_default=True, type=int)
@click.option("--name", default=None, help="Name of the generated trust.")
@click.option("--years", default=1.0, show_default=True, type=float, help="Years of service-desk history.")
@click.option("--tickets-per-pupil", default=1.6, show_default=True, type=float,
              help="Tickets per pupil per year (0 for none). 150 schools × 4 years ≈ 1 million tickets.")
@click.option("--assets-per-pupil", default=3.0, show_default=True, type=float,
              help="Devices per pupil in the asset register (0 for none). 150 schools ≈ 300 000 assets.")
@click.option("--standards/--no-standards", default=True, show_default=True,
              help="The shipped standards with two years of every school's assessments.")
@with_appcontext
def seed(schools, users_per_school, name, years, tickets_per_pupil, assets_per_pupil, standards):
    """Generate a trust of any size with bulk inserts (for benchmarks)."""
    import time

    from services.desk.generate import seed_tickets
    from services.directory.generate import seed_trust
    started = time.perf_counter()
    with unscoped():
        trust = seed_trust(schools=schools, users_per_school=users_per_school, name=name)
        jobs.commit()
        click.echo(f"{trust.name}: {schools} schools, {schools * users_per_school} people "
                   f"in {time.perf_counter() - started:.1f} s.")
        if tickets_per_pupil > 0:
            started = time.perf_counter()
            count = seed_tickets(trust, years=years, per_pupil=tickets_per_pupil)
            jobs.commit()
            click.echo(f"{count} tickets over {years:g} years in {time.perf_counter() - started:.1f} s.")
        if assets_per_pupil > 0:
            from services.assets.generate import seed_assets
            from services.base import utcnow
            started = time.perf_counter()
            count = seed_assets(trust, per_pupil=assets_per_pupil, today=utcnow().date())
            jobs.commit()
            click.echo(f"{count} assets in {time.perf_counter() - started:.1f} s.")
        if standards:
            from services.base import utcnow
            from services.standards.generate import seed_standards
            started = time.perf_counter()
            count = seed_standards(trust, now=utcnow())
            jobs.commit()
            click.echo(f"{count} standards assessments over two years in {time.perf_counter() - started:.1f} s.")
        if db.engine.dialect.name == "postgresql":
            from sqlalchemy import text
            db.session.execute(text("ANALYZE"))  # fresh statistics after a bulk load: good plans at once
            jobs.commit()
