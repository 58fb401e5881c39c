"""The `trust-it` command: Flask's CLI plus the commands an operator needs."""
from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import select

from trust_it import jobs
from trust_it.extensions import db
from trust_it.tenancy import ALL_ROLES, unscoped


def _create_app():
    from trust_it import create_app
    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=True)
def main():
    """trust-it: the central IT platform for a multi-academy trust."""


def register(app) -> None:
    for command in (trust_group, user_group, token_group, mail_group, standards_group, import_gias, worker, scheduler,
                    demo, seed):
        app.cli.add_command(command)


def _trust_or_exit(trust_id=None):
    from services.directory.models import Trust
    trusts = db.session.execute(select(Trust).order_by(Trust.id)).scalars().all()
    if trust_id:
        trusts = [t for t in trusts if t.id == trust_id]
    if len(trusts) == 1:
        return trusts[0]
    if not trusts:
        raise click.ClickException("There is no trust yet: create it with `trust-it trust create --name NAME`.")
    raise click.ClickException("There are several trusts: choose one with --trust ID.")


@click.group("trust")
def trust_group():
    """Trusts in this deployment."""


@trust_group.command("create")
@click.option("--name", required=True)
@click.option("--companies-house", default=None)
@click.option("--gias-uid", default=None, help="GIAS group UID, e.g. 16001.")
@with_appcontext
def trust_create(name, companies_house, gias_uid):
    from services.directory.models import Trust
    with unscoped():
        trust = Trust(name=name, companies_house_number=companies_house, gias_group_uid=gias_uid)
        db.session.add(trust)
        jobs.commit()
    click.echo(f"Trust {trust.id}: {trust.name}")


@click.group("user")
def user_group():
    """People: create the first trust administrator without the UI."""


@user_group.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", required=True, type=click.Choice(ALL_ROLES))
@click.option("--school", "school_slug", default=None, help="Slug of the school, for school roles.")
@click.option("--password-stdin", is_flag=True, help="Read a password for local sign-in from standard input.")
@click.option("--trust", "trust_id", type=int, default=None)
@with_appcontext
def user_create(email, name, role, school_slug, password_stdin, trust_id):
    """Create a user with one membership."""
    from services.directory import people
    from services.directory.errors import DirectoryError
    from services.directory.schools import school_by_slug

    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    with unscoped():
        trust = _trust_or_exit(trust_id)
        school = None
        if school_slug:
            school = school_by_slug(school_slug)
            if school is None or school.trust_id != trust.id:
                raise click.ClickException(f"No school “{school_slug}” in {trust.name}.")
        try:
            user = people.create_user(trust_id=trust.id, email=email, display_name=name, password=password)
            people.add_membership(user, role=role, school=school)
        except DirectoryError as exc:
            db.session.rollback()
            raise click.ClickException(exc.message) from None
        # Worded before the commit: reading the school afterwards, outside unscoped(), would reload
        # it under no scope, which row-level security answers with nothing.
        done = f"Created {user.email} ({role}{' at ' + school.name if school else ''})."
        jobs.commit()
    click.echo(done)


@click.group("token")
def token_group():
    """API personal access tokens."""


@token_group.command("create")
@click.option("--user", "email", required=True)
@click.option("--name", default="Created from the command line")
@with_appcontext
def token_create(email, name):
    """Create a token and print its secret (shown once)."""
    from services.directory import people, tokens
    with unscoped():
        user = people.find_by_email(email)
        if user is None:
            raise click.ClickException(f"No user {email}.")
        _, secret = tokens.create_token(user, name=name)
        jobs.commit()
    click.echo(secret)


@click.group("mail")
def mail_group():
    """Email to ticket."""


@mail_group.command("ingest")
@click.argument("message", type=click.File("rb"), default="-")
@with_appcontext
def mail_ingest(message):
    """File one email (RFC 822, standard input by default): a new ticket, or a reply added to its ticket."""
    from services.desk.mail_ingest import ingest
    with unscoped():
        result = ingest(message.read())
        if result.ticket is None:
            db.session.rollback()
            click.echo(result.reason, err=True)
            sys.exit(0 if result.ignored else 1)  # automatic mail is dropped, not bounced
        jobs.commit()
    click.echo(result.reason)


@click.group("standards")
def standards_group():
    """The trust's standards baselines."""


@standards_group.command("load")
@click.option("--trust", "trust_id", type=int, default=None)
@with_appcontext
def standards_load(trust_id):
    """Load the shipped baselines (DfE standards, Cyber Essentials, RPA conditions, the trust's checks).

    Safe to run again: an unchanged baseline is left alone; one whose shipped text changed gets a new
    published version."""
    from services.base import utcnow
    from services.standards.baselines import load_shipped
    with unscoped():
        trust = _trust_or_exit(trust_id)
        outcome = load_shipped(trust.id, now=utcnow())
        jobs.commit()
    for code, what in outcome.items():
        click.echo(f"{code}: {what}")


@click.command("import-gias")
@click.argument("csv_file", type=click.File("rb"))
@click.option("--trust", "trust_id", type=int, default=None)
@click.option("--trust-code", default=None,
              help="Only rows whose `Trusts (code)` is this (default: the trust's GIAS UID).")
@click.option("--skip-invalid", is_flag=True,
              help="Load the good rows even if some rows are bad (exit 0 if any loaded).")
@with_appcontext
def import_gias(csv_file, trust_id, trust_code, skip_invalid):
    """Create or update schools from a GIAS establishment CSV, matched on URN. Closed establishments
    are listed, not imported."""
    from services.directory.gias_import import import_gias as run_import
    with unscoped():
        trust = _trust_or_exit(trust_id)
        result = run_import(trust, csv_file.read(), trust_code=trust_code, skip_invalid=skip_invalid)
        source = getattr(csv_file, "name", "standard input")
        for error in result.errors:
            click.echo(f"{source}: {error}", err=True)
        for record in result.closed:
            when = f" on {record.close_date:%d %B %Y}" if record.close_date else ""
            click.echo(f"{source}: line {record.line}: URN {record.urn} {record.name} closed{when}; "
                       "not imported.", err=True)
        if result.errors and not skip_invalid:
            db.session.rollback()
            click.echo(f"Nothing imported: {len(result.errors)} bad values. Fix them, or use --skip-invalid.", err=True)
            sys.exit(1)
        jobs.commit()
    click.echo(f"{len(result.created)} schools added, {len(result.updated)} updated, "
               f"{len(result.unchanged)} unchanged"
               + (f", {len(result.closed)} closed not imported" if result.closed else "")
               + (f", {result.skipped_other_trusts} rows of other trusts ignored"
                  if result.skipped_other_trusts else "")
               + (f", {len(result.errors)} bad values skipped" if result.errors else "") + ".")
    if result.errors and not result.imported:
        sys.exit(1)  # --skip-invalid, yet nothing could be loaded


@click.command("worker")
@click.option("--queues", default="default,notifications,reports,imports,sync", show_default=True)
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@with_appcontext
def worker(queues, burst):
    """Run an rq worker (needs TRUST_IT_REDIS_URL)."""
    from rq import Worker

    from trust_it import jobs
    if jobs.is_inline():
        raise click.ClickException("Set TRUST_IT_REDIS_URL: without Redis, jobs run inline and need no worker.")
    jobs._worker_app = current_app._get_current_object()
    names = [q.strip() for q in queues.split(",") if q.strip()]
    Worker(names, connection=jobs.redis_connection()).work(burst=burst, with_scheduler=True)


@click.command("scheduler")
@click.option("--interval", default=15.0, show_default=True, help="Seconds between ticks.")
@click.option("--once", is_flag=True, help="Tick once and exit.")
@with_appcontext
def scheduler(interval, once):
    """Enqueue periodic work (run exactly one of these)."""
    from trust_it import jobs
    app = current_app._get_current_object()
    if once:
        click.echo("\n".join(jobs.tick()) or "nothing due")
        jobs.commit()
        return
    jobs.run_scheduler(app, interval=interval)


from trust_it.demo import demo, seed  # noqa: E402

