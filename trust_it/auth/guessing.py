"""Password guessing: slow the guesser down without locking the owner out.

Three counters, all in the rate limiter's storage (Redis in production):

- per address, any account (`LOGIN_RATE_LIMIT`, Flask-Limiter on the view);
- per account *and* address (`LOGIN_ACCOUNT_ADDRESS_RATE_LIMIT`, likewise): one place that
  keeps guessing one account is stopped, and nobody else is affected;
- per account across all addresses (`LOGIN_ACCOUNT_RATE_LIMIT`, here), far higher. Past it
  the account can only be signed in to from an address it has signed in from before
  (`KNOWN_FOR`), so guesses spread over many addresses stop, and the owner at school or at
  home still gets in. A stranger can therefore never lock the owner out of a known place.

When an account has collected `ALERT_AFTER` wrong passwords in the window, its owner is
e-mailed (once per `ALERT_EVERY`) so they know to act.
"""
from __future__ import annotations

from flask import current_app, request
from limits import parse
from sqlalchemy import select

from services.base import utcnow
from services.desk import notify
from services.directory import sessions
from services.directory.models import User, UserSession
from trust_it.extensions import db, limiter

KNOWN_FOR = sessions.KEEP  # the sessions an address is known by are kept this long
ALERT_AFTER = 10
ALERT_EVERY = parse("1 per hour")


def account_address_key(email: str | None) -> str:
    """What the per-account-and-address limit counts: shared by the sign-in page and the
    change-password page, so guessing one password in both places is counted once."""
    return f"login-account:{request.remote_addr}:" + (email or "").strip().lower()


def _account_limit():
    return parse(current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"])


def _key(email: str) -> str:
    # By address typed, not by account, so an address with no account answers exactly alike.
    return f"login-failures:{email}"


def is_known_address(user: User, ip: str | None) -> bool:
    """Has this account signed in from `ip` lately?"""
    if not ip:
        return False
    return db.session.execute(select(UserSession.id).where(
        UserSession.user_id == user.id, UserSession.ip == ip,
        UserSession.created_at > utcnow() - KNOWN_FOR).limit(1)).first() is not None


def _counting() -> bool:
    # An operator may switch rate limiting off (RATELIMIT_ENABLED=False): then nothing is counted.
    return limiter.enabled and limiter.initialized


def may_try(email: str, user: User | None, ip: str | None) -> bool:
    """False when the account is being guessed at from many places and `ip` is a stranger to it."""
    if not _counting():
        return True
    return (limiter.limiter.test(_account_limit(), _key(email))
            or (user is not None and is_known_address(user, ip)))


def record_failure(email: str, user: User | None) -> None:
    """Count a wrong password for the account, and warn its owner when it is being guessed."""
    if not _counting():
        return
    item = _account_limit()
    limiter.limiter.hit(item, _key(email))
    if user is None:
        return
    failures = item.amount - limiter.limiter.get_window_stats(item, _key(email)).remaining
    if failures >= ALERT_AFTER and limiter.limiter.hit(ALERT_EVERY, f"login-alerted:{user.id}"):
        _alert_owner(user, failures)


def _alert_owner(user: User, failures: int) -> None:
    note = notify.record(
        "sign_in_guessing", None, user.email, "Someone is trying to sign in to your trust-it account",
        f"Hello {user.display_name},\n\n"
        f"Someone has entered a wrong password for your trust-it account ({user.email}) {failures} times "
        "in the last few minutes.\n\n"
        "If that was you, there is nothing to do. If it was not, your password kept them out. "
        "You can still sign in as usual, and from a computer or phone you have used with trust-it "
        "before even while the guessing goes on. If you think someone may know your password, "
        "change it from \"Your account\" after signing in, and tell your trust's IT team.\n")
    if note is not None:
        note.trust_id = user.trust_id  # shown in the trust's outbox like every other e-mail
