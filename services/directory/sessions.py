"""Server-side records of signed-in browsers, so a session can be ended for good.

A signed cookie alone stays valid until it expires, wherever it has been copied to; each
sign-in therefore gets a row here, and the request cycle accepts a cookie only while its
row is open. Signing out closes the row; a password change or "sign out everywhere" closes
every row of the person.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update

from services.base import utcnow
from services.directory.models import User, UserSession
from trust_it.extensions import db

# last_seen_at is a hint for the person's own list, not a lock: writing it on every request
# would turn each page view into an UPDATE.
TOUCH_EVERY = timedelta(minutes=5)
KEEP = timedelta(days=30)


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def start(user: User, *, method: str, ip: str | None, lifetime: timedelta, now: datetime | None = None) -> str:
    """Open a session for `user`; returns the key the cookie must carry (never stored)."""
    now = now or utcnow()
    # Old rows are kept a while: they tell the sign-in guard which addresses the person uses.
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id,
                                                 UserSession.created_at < now - max(lifetime, KEEP)))
    key = secrets.token_urlsafe(32)
    db.session.add(UserSession(id=key_hash(key), user_id=user.id, method=method, ip=ip, created_at=now,
                               last_seen_at=now))
    db.session.flush()
    return key


def user_for(user_id: int, key: str, *, lifetime: timedelta, now: datetime | None = None
             ) -> tuple[User, UserSession] | None:
    """The user and their open session for a cookie's key: one lookup by primary key."""
    now = now or utcnow()
    row = db.session.execute(
        select(User, UserSession).join(UserSession, UserSession.user_id == User.id)
        .where(UserSession.id == key_hash(key), User.id == user_id, UserSession.revoked_at.is_(None),
               UserSession.created_at > now - lifetime)).first()
    if row is None:
        return None
    user, record = row
    if now - record.last_seen_at > TOUCH_EVERY:
        record.last_seen_at = now
    return user, record


def end(key: str, *, now: datetime | None = None) -> None:
    db.session.execute(update(UserSession).where(UserSession.id == key_hash(key), UserSession.revoked_at.is_(None))
                       .values(revoked_at=now or utcnow()))


def end_all(user: User, *, now: datetime | None = None) -> int:
    """End every open session of `user`; returns how many were open."""
    result = db.session.execute(update(UserSession).where(UserSession.user_id == user.id,
                                                          UserSession.revoked_at.is_(None))
                                .values(revoked_at=now or utcnow()))
    return result.rowcount or 0


def open_count(user: User, *, lifetime: timedelta, now: datetime | None = None) -> int:
    now = now or utcnow()
    return len(db.session.execute(select(UserSession.id).where(
        UserSession.user_id == user.id, UserSession.revoked_at.is_(None),
        UserSession.created_at > now - lifetime)).all())
