"""Users and memberships: invite, change roles, deactivate."""
from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from services.audit import log
from services.base import utcnow
from services.directory import sessions
from services.directory.errors import DirectoryError
from services.directory.models import Membership, School, User
from trust_it.extensions import db
from trust_it.tenancy import ALL_ROLES, ROLE_LABELS, SCHOOL_ROLES, TRUST_ROLES

MIN_PASSWORD = 12


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def find_by_email(email: str) -> User | None:
    return db.session.execute(select(User).where(User.email == normalise_email(email))).scalar_one_or_none()


def create_user(*, trust_id: int, email: str, display_name: str, password: str | None = None,
                by: User | None = None) -> User:
    email = normalise_email(email)
    if "@" not in email or email.startswith("@") or email.endswith("@"):
        raise DirectoryError("Enter an email address like name@school.org.uk.", "email")
    if not (display_name or "").strip():
        raise DirectoryError("Enter the person's name.", "display_name")
    if find_by_email(email):
        raise DirectoryError(f"{email} already has an account.", "email")
    user = User(trust_id=trust_id, email=email, display_name=display_name.strip(),
                session_token=secrets.token_hex(16), active=True)
    if password is not None:
        set_password(user, password)
    db.session.add(user)
    db.session.flush()
    log.record("user.created", f"Account created for {email}", actor=by, trust_id=trust_id,
               detail={"user_id": user.id})
    return user


def set_password(user: User, password: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise DirectoryError(f"Use a password of at least {MIN_PASSWORD} characters.", "password")
    user.password_hash = generate_password_hash(password)
    if user.id is not None:
        sessions.end_all(user)  # whoever knew the old password is signed out everywhere


_DUMMY_HASH = generate_password_hash("not a real password")


def check_password(user: User | None, password: str) -> bool:
    if user is None or not user.password_hash:
        check_password_hash(_DUMMY_HASH, password or "")
        return False
    return check_password_hash(user.password_hash, password or "")


def add_membership(user: User, *, role: str, school: School | None = None, expires_at: datetime | None = None,
                   by: User | None = None, source: str = "manual") -> Membership:
    if role not in ALL_ROLES:
        raise DirectoryError(f"“{role}” is not a role. Choose one of: {', '.join(ALL_ROLES)}.", "role")
    if school is None and role not in TRUST_ROLES:
        raise DirectoryError(f"{ROLE_LABELS[role]} is a school role: choose the school.", "school")
    if school is not None and role not in SCHOOL_ROLES:
        raise DirectoryError(f"{ROLE_LABELS[role]} is a trust-wide role: leave the school empty.", "school")
    if school is not None and school.trust_id != user.trust_id:
        raise DirectoryError("That school is not in this person's trust.", "school")
    if expires_at is not None and expires_at <= utcnow():
        raise DirectoryError("The expiry date must be in the future.", "expires_at")
    for m in user.memberships:
        if m.role == role and m.school_id == (school.id if school else None) and m.is_current():
            if m.expires_at != expires_at:
                m.expires_at = expires_at
                db.session.flush()
            return m
    membership = Membership(user=user, role=role, school_id=school.id if school else None,
                            trust_id=None if school else user.trust_id, expires_at=expires_at, source=source)
    db.session.add(membership)
    db.session.flush()
    where = school.name if school else "the trust"
    log.record("membership.added", f"{user.email} is now {ROLE_LABELS[role]} at {where}", actor=by,
               school=school, trust_id=user.trust_id,
               detail={"user_id": user.id, "role": role, "source": source,
                       "expires_at": expires_at.isoformat() if expires_at else None})
    return membership


def remove_membership(membership: Membership, *, by: User | None = None) -> None:
    user, school = membership.user, membership.school
    where = school.name if school else "the trust"
    log.record("membership.removed", f"{user.email} is no longer {ROLE_LABELS.get(membership.role)} at {where}",
               actor=by, school=school, trust_id=user.trust_id,
               detail={"user_id": user.id, "role": membership.role, "source": membership.source})
    user.memberships.remove(membership)
    db.session.flush()


def change_role(membership: Membership, role: str, *, by: User | None = None) -> Membership:
    """Change a membership's role: recorded as the removal of the old and the grant of the new."""
    if role == membership.role:
        return membership
    user, school, expires = membership.user, membership.school, membership.expires_at
    new = add_membership(user, role=role, school=school, expires_at=expires, by=by)
    remove_membership(membership, by=by)
    return new


def set_active(user: User, active: bool, *, by: User | None = None) -> None:
    if by is not None and by.id == user.id and not active:
        raise DirectoryError("You cannot deactivate your own account.", "active")
    if user.active == active:
        return
    user.active = active
    user.session_token = secrets.token_hex(16)  # ends every open session of this user
    log.record("user.activated" if active else "user.deactivated",
               f"{user.email} {'reactivated' if active else 'deactivated'}", actor=by, trust_id=user.trust_id,
               detail={"user_id": user.id})
    db.session.flush()


def users_of_trust(trust_id: int, *, search: str | None = None, after_id: int | None = None,
                   limit: int = 50, school_ids: list[int] | None = None) -> list[User]:
    """People of a trust, by id (keyset pages); `school_ids` narrows to members of those schools."""
    from sqlalchemy.orm import selectinload
    stmt = (select(User).where(User.trust_id == trust_id)
            .options(selectinload(User.memberships).joinedload(Membership.school))
            .order_by(User.id).limit(limit))
    if search:
        like = f"%{search.strip().lower()}%"
        stmt = stmt.where((func.lower(User.email).like(like)) | (func.lower(User.display_name).like(like)))
    if after_id:
        stmt = stmt.where(User.id > after_id)
    if school_ids is not None:
        member = select(Membership.user_id).where(Membership.school_id.in_(school_ids))
        stmt = stmt.where(User.id.in_(member))
    return list(db.session.execute(stmt).scalars())
