"""Personal access tokens for the API: shown once, stored as a SHA-256 hash."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import select

from services.audit import log
from services.base import utcnow
from services.directory.errors import DirectoryError
from services.directory.models import ApiToken, User
from trust_it.extensions import db

PREFIX = "tit_"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(user: User, *, name: str, expires_at: datetime | None = None, by: User | None = None
                 ) -> tuple[ApiToken, str]:
    """Returns the token row and the secret, which is never shown again."""
    name = (name or "").strip()
    if not name:
        raise DirectoryError("Name the token after what will use it, e.g. “Intune reporting script”.", "name")
    if expires_at is not None and expires_at <= utcnow():
        raise DirectoryError("The expiry date must be in the future.", "expires_at")
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name[:100], prefix=secret[:10], token_hash=_hash(secret),
                     expires_at=expires_at)
    db.session.add(token)
    db.session.flush()
    log.record("token.created", f"API token “{token.name}” created for {user.email}", actor=by or user,
               trust_id=user.trust_id, detail={"token_id": token.id, "user_id": user.id})
    return token, secret


def revoke_token(token: ApiToken, *, by: User | None = None) -> None:
    if token.revoked_at is not None:
        return
    token.revoked_at = utcnow()
    db.session.flush()
    log.record("token.revoked", f"API token “{token.name}” of {token.user.email} revoked", actor=by,
               trust_id=token.user.trust_id, detail={"token_id": token.id, "user_id": token.user_id})


def user_for_secret(secret: str) -> tuple[User, ApiToken] | None:
    if not secret or not secret.startswith(PREFIX):
        return None
    token = db.session.execute(select(ApiToken).where(ApiToken.token_hash == _hash(secret))).scalar_one_or_none()
    if token is None or not token.is_usable or not token.user.active:
        return None
    now = utcnow()
    # Touch at most once a minute: a busy script should not write on every call.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        token.last_used_at = now
    return token.user, token


def tokens_of(user: User) -> list[ApiToken]:
    return list(db.session.execute(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())).scalars())
