"""What every model shares: the tenancy mixins and the clock's UTC.

It imports nothing of the project, so models and `trust_it.tenancy` can both depend on it
without depending on each other.
"""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, declared_attr, mapped_column


def utcnow() -> datetime:
    """Naive UTC: SQLite keeps no time zone, so every stored timestamp is UTC without one."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


class SchoolScoped:
    """Mixin for rows that belong to one school; the ORM guard filters on `school_id`."""

    @declared_attr
    def school_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("schools.id", ondelete="CASCADE"), nullable=False, index=True)


class TrustOrSchoolScoped:
    """Mixin for rows that are either trust-wide (school_id NULL) or one school's, such as
    knowledge-base articles: visible when trust-wide in the user's trust, or of a school in scope."""

    @declared_attr
    def trust_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("trusts.id", ondelete="CASCADE"), nullable=False, index=True)

    @declared_attr
    def school_id(cls) -> Mapped[int | None]:
        return mapped_column(ForeignKey("schools.id", ondelete="CASCADE"), nullable=True, index=True)
