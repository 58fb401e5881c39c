"""Trusts, schools, people and who may do what where."""
from __future__ import annotations

from datetime import date, datetime, time

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.base import SchoolScoped, utcnow
from trust_it.extensions import db

PHASES = ("Nursery", "Primary", "Middle deemed primary", "Middle deemed secondary", "Secondary",
          "All-through", "16 plus", "Not applicable")
SUPPORT_MODELS = {"in_house": "In-house technicians", "msp": "Managed service provider (MSP)",
                  "trust_central": "Trust central team"}
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
CLOSURE_KINDS = {"inset": "INSET day", "bank_holiday": "Bank holiday", "other": "Closure"}


class Trust(db.Model):
    __tablename__ = "trusts"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    companies_house_number: Mapped[str | None] = mapped_column(String(8))
    gias_group_uid: Mapped[str | None] = mapped_column(String(10), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    tenants: Mapped[list[EntraTenant]] = relationship(back_populates="trust", cascade="all, delete-orphan",
                                                      order_by="EntraTenant.id")

    @property
    def allowed_tenant_ids(self) -> list[str]:
        return [t.tenant_id for t in self.tenants]


class EntraTenant(db.Model):
    """A Microsoft Entra tenant whose people may sign in to this trust (the `tid` allow-list)."""
    __tablename__ = "entra_tenants"
    id: Mapped[int] = mapped_column(primary_key=True)
    trust_id: Mapped[int] = mapped_column(ForeignKey("trusts.id", ondelete="CASCADE"), index=True)
    tenant_id: Mapped[str] = mapped_column(String(36), unique=True)
    label: Mapped[str | None] = mapped_column(String(200))
    trust: Mapped[Trust] = relationship(back_populates="tenants")


class School(db.Model):
    __tablename__ = "schools"
    __table_args__ = (Index("ix_schools_trust_id_name", "trust_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    trust_id: Mapped[int] = mapped_column(ForeignKey("trusts.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    urn: Mapped[str | None] = mapped_column(String(6), unique=True)
    la_estab: Mapped[str | None] = mapped_column(String(7))
    phase: Mapped[str] = mapped_column(String(30), default="Primary")
    pupils: Mapped[int | None] = mapped_column(Integer)
    support_model: Mapped[str] = mapped_column(String(20), default="in_house")
    email_domains: Mapped[list] = mapped_column(JSON, default=list)
    timezone: Mapped[str] = mapped_column(String(40), default="Europe/London")
    # Ticket references read OAK-000123: short, per school, unique in the deployment.
    ticket_prefix: Mapped[str] = mapped_column(String(8), unique=True)
    ticket_counter: Mapped[int] = mapped_column(Integer, default=0)  # last ticket number given out
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    trust: Mapped[Trust] = relationship()

    @property
    def support_model_label(self) -> str:
        return SUPPORT_MODELS.get(self.support_model, self.support_model)


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("entra_tid", "entra_oid"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    trust_id: Mapped[int] = mapped_column(ForeignKey("trusts.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    entra_tid: Mapped[str | None] = mapped_column(String(36))
    entra_oid: Mapped[str | None] = mapped_column(String(36))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Rotated on deactivation: every session that carried the old value stops working.
    session_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(DateTime)

    memberships: Mapped[list[Membership]] = relationship(back_populates="user", cascade="all, delete-orphan",
                                                         order_by="Membership.id")

    @property
    def is_active(self) -> bool:  # flask-login refuses inactive users
        return bool(self.active)

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"


class Membership(db.Model):
    """A role for a user in the trust (school_id NULL) or in one school, optionally until a date."""
    __tablename__ = "memberships"
    __table_args__ = (
        CheckConstraint("(trust_id IS NULL) <> (school_id IS NULL)", name="trust_or_school"),
        Index("ix_memberships_school_id_role", "school_id", "role"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    trust_id: Mapped[int | None] = mapped_column(ForeignKey("trusts.id", ondelete="CASCADE"), index=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(20))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    # "manual" memberships are kept; "entra" ones are recomputed at every Microsoft sign-in.
    source: Mapped[str] = mapped_column(String(10), default="manual")
    # Set when the expiry sweep has written "access ended" to the audit log.
    expiry_recorded_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")
    school: Mapped[School | None] = relationship()

    def is_current(self, now: datetime | None = None) -> bool:
        return self.expires_at is None or self.expires_at > (now or utcnow())

    @classmethod
    def current_at(cls, now: datetime):
        """The same rule in SQL: memberships that still grant something at `now`."""
        return cls.expires_at.is_(None) | (cls.expires_at > now)


class SignInRule(db.Model):
    """Maps a Microsoft 365 claim (app role, group, email domain) to a membership."""
    __tablename__ = "sign_in_rules"
    __table_args__ = (UniqueConstraint("trust_id", "claim", "value", "role", "school_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    trust_id: Mapped[int] = mapped_column(ForeignKey("trusts.id", ondelete="CASCADE"), index=True)
    claim: Mapped[str] = mapped_column(String(20))  # app_role | group | email_domain
    value: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    # For school roles: the school, or NULL for "the school whose email domain the user has".
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    school: Mapped[School | None] = relationship()


class WorkingHours(SchoolScoped, db.Model):
    __tablename__ = "school_working_hours"
    __table_args__ = (UniqueConstraint("school_id", "weekday"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    weekday: Mapped[int] = mapped_column(Integer)  # 0 = Monday
    opens: Mapped[time] = mapped_column(Time)
    closes: Mapped[time] = mapped_column(Time)


class Term(SchoolScoped, db.Model):
    __tablename__ = "school_terms"
    __table_args__ = (Index("ix_school_terms_school_id_starts_on", "school_id", "starts_on"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)


class Closure(SchoolScoped, db.Model):
    """A day inside term when the school is shut: INSET day, bank holiday, snow day."""
    __tablename__ = "school_closures"
    __table_args__ = (UniqueConstraint("school_id", "day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(20), default="inset")
    name: Mapped[str] = mapped_column(String(100))


class ApiToken(db.Model):
    """A personal access token; only its SHA-256 is stored."""
    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(12))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)

    user: Mapped[User] = relationship()

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > utcnow())


class UserSession(db.Model):
    """One signed-in browser. The session cookie carries a random key; only its SHA-256 is kept
    here, so signing out (or out everywhere, or a password change) ends a copied cookie too."""
    __tablename__ = "user_sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 hex of the cookie's key
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    method: Mapped[str] = mapped_column(String(20))  # password | microsoft
    ip: Mapped[str | None] = mapped_column(String(45))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
