"""The trust's standards: versioned baselines of items, each school's assessments and its conformance.

A baseline (the DfE digital and technology standards, Cyber Essentials, the RPA cyber conditions, or
the trust's own "staff laptop build") belongs to the trust and changes only by a new version: items
belong to one version, so an assessment keeps pointing at the item text it answered. A school's
assessments are its history; `Conformance` is the current state per school × item, rewritten in a
few statements by `services/standards/conformance.py` and read by the heatmap in one query.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import JSON, Boolean, Date, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.base import SchoolScoped, utcnow
from trust_it.extensions import db

SOURCES = {"dfe": "DfE digital and technology standards", "cyber_essentials": "Cyber Essentials",
           "rpa": "RPA cyber conditions", "trust": "Trust standard"}
VERSION_STATUSES = {"draft": "Draft", "published": "Published", "superseded": "Superseded"}
SEVERITIES = {"low": "Low", "medium": "Medium", "high": "High", "critical": "Critical"}
CHECK_KINDS = {"attestation": "Confirmed by a person, with evidence", "measured": "A measured value",
               "derived": "Computed from the platform's records", "setting": "Device settings from Intune"}
# School phases as the standards tell them apart (services/standards/phases.py maps GIAS phases).
PHASES = {"primary": "Primary", "secondary": "Secondary", "all_through": "All-through", "post_16": "16 plus",
          "special": "Special or alternative provision"}
COMPARISONS = {"at_least": "at least", "at_most": "at most", "equals": "exactly"}
# What a person may record, and what conformance may show: "expired" is evidence past its review date.
ASSESSMENT_STATUSES = {"met": "Met", "partly_met": "Partly met", "not_met": "Not met",
                       "not_applicable": "Not applicable", "exception": "Exception", "unknown": "Unknown"}
STATUSES = {**ASSESSMENT_STATUSES, "expired": "Unknown – evidence expired"}
ASSESSMENT_SOURCES = {"person": "Assessed by a person", "derived": "Computed"}
DRIFT_CAUSES = {"derived": "The platform's records changed", "expired": "The evidence expired",
                "exception": "An exception to the standard ended"}
EXCEPTION_STATUSES = {"requested": "Requested", "recommended": "Recommended to the IT director",
                      "approved": "Approved", "rejected": "Rejected", "expired": "Ended", "withdrawn": "Withdrawn"}
# An exception still in play: asked for, with the IT director, or in force.
OPEN_EXCEPTION_STATUSES = ("requested", "recommended", "approved")


class Baseline(db.Model):
    """A set of standards the trust holds its schools to, owned by a team of the trust."""
    __tablename__ = "standard_baselines"
    __table_args__ = (UniqueConstraint("trust_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    trust_id: Mapped[int] = mapped_column(ForeignKey("trusts.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(20), default="trust")  # a key of SOURCES
    owner_team: Mapped[str] = mapped_column(String(30), default="technical")  # a trust role
    # sha256 of the shipped data the current version was loaded from; NULL for the trust's own.
    shipped_digest: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    versions = relationship("BaselineVersion", order_by="BaselineVersion.number", back_populates="baseline")

    @property
    def source_label(self) -> str:
        return SOURCES.get(self.source, self.source)


class BaselineVersion(db.Model):
    """One version of a baseline: a draft is edited, publishing it supersedes the one before."""
    __tablename__ = "standard_baseline_versions"
    __table_args__ = (UniqueConstraint("baseline_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    trust_id: Mapped[int] = mapped_column(ForeignKey("trusts.id", ondelete="CASCADE"), index=True)
    baseline_id: Mapped[int] = mapped_column(ForeignKey("standard_baselines.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), default="draft")
    change_note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    published_at: Mapped[datetime | None] = mapped_column(DateTime)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    baseline = relationship(Baseline, back_populates="versions")
    items = relationship("StandardItem", order_by="StandardItem.position", back_populates="version")
    published_by = relationship("User", foreign_keys=[published_by_id])

    @property
    def status_label(self) -> str:
        return VERSION_STATUSES.get(self.status, self.status)


class StandardItem(db.Model):
    """One thing a school is asked to meet, and how meeting it is checked.

    - attestation: a person confirms it with evidence, valid for `review_days`;
    - measured: values in `unit` against `thresholds` per phase and measure ({"primary": {"download":
      {"comparison": "at_least", "threshold": 100, "partly": 80}, "upload": {...}}, "default": {...}});
    - derived: `check_key` (services/standards/derived.py) compared (`comparison`) with `threshold`,
      partly met from `partly_threshold`;
    - setting: `settings` [{"key": "encrypted", "expected": true}] checked on Intune-managed devices.
    """
    __tablename__ = "standard_items"
    __table_args__ = (UniqueConstraint("version_id", "code"),
                      Index("ix_standard_items_version_id_position", "version_id", "position"))
    id: Mapped[int] = mapped_column(primary_key=True)
    trust_id: Mapped[int] = mapped_column(ForeignKey("trusts.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("standard_baseline_versions.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    code: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    requirement: Mapped[str] = mapped_column(Text, default="")
    good_looks_like: Mapped[str] = mapped_column(Text, default="")
    how_to_meet: Mapped[str] = mapped_column(Text, default="")
    severity: Mapped[str] = mapped_column(String(10), default="medium")
    phases: Mapped[list] = mapped_column(JSON, default=list)  # keys of PHASES; empty: every phase
    core_2030: Mapped[bool] = mapped_column(Boolean, default=False)
    check_kind: Mapped[str] = mapped_column(String(12), default="attestation")
    review_days: Mapped[int | None] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(20), default="")
    thresholds: Mapped[dict] = mapped_column(JSON, default=dict)
    check_key: Mapped[str | None] = mapped_column(String(60))
    comparison: Mapped[str | None] = mapped_column(String(10))
    threshold: Mapped[float | None] = mapped_column(Float)
    partly_threshold: Mapped[float | None] = mapped_column(Float)
    settings: Mapped[list] = mapped_column(JSON, default=list)
    version = relationship(BaselineVersion, back_populates="items")

    def applies_to(self, phase: str) -> bool:
        return not self.phases or phase in self.phases


class Assessment(SchoolScoped, db.Model):
    """One answer of a school about one item: who, when, what, with which evidence, until when."""
    __tablename__ = "standard_assessments"
    __table_args__ = (Index("ix_standard_assessments_school_id_item_id_id", "school_id", "item_id", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("standard_items.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    value: Mapped[float | None] = mapped_column(Float)  # a measured item's first measure, for lists
    values: Mapped[dict] = mapped_column(JSON, default=dict)  # every measure: {"download": 120, "upload": 35}
    reason: Mapped[str] = mapped_column(Text, default="")  # why not applicable
    evidence: Mapped[str] = mapped_column(Text, default="")
    # An evidence file, stored as the desk stores attachments (UPLOAD_DIR/<school_id>/<sha256>).
    attachment_filename: Mapped[str | None] = mapped_column(String(200))
    attachment_content_type: Mapped[str | None] = mapped_column(String(100))
    attachment_size: Mapped[int | None] = mapped_column(Integer)
    attachment_sha256: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(10), default="person")
    assessed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    assessed_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    item = relationship(StandardItem)
    assessed_by = relationship("User")

    @property
    def status_label(self) -> str:
        return STATUSES.get(self.status, self.status)


class Conformance(SchoolScoped, db.Model):
    """A school's current state against one item of a published version (one row per school × item)."""
    __tablename__ = "standard_conformance"
    __table_args__ = (UniqueConstraint("school_id", "item_id", name="uq_standard_conformance_school_id_item_id"),
                      Index("ix_standard_conformance_school_id_baseline_id", "school_id", "baseline_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    baseline_id: Mapped[int] = mapped_column(ForeignKey("standard_baselines.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("standard_items.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    value: Mapped[float | None] = mapped_column(Float)
    # The figures behind a derived status ({"numerator", "denominator", "detail", "failing_url_args"}),
    # or the reason an item does not apply.
    figures: Mapped[dict] = mapped_column(JSON, default=dict)
    assessment_id: Mapped[int | None] = mapped_column(ForeignKey("standard_assessments.id", ondelete="SET NULL"),
                                                      index=True)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    since: Mapped[datetime] = mapped_column(DateTime)
    computed_at: Mapped[datetime] = mapped_column(DateTime)
    item = relationship(StandardItem)

    @property
    def status_label(self) -> str:
        return STATUSES.get(self.status, self.status)


class DriftEvent(SchoolScoped, db.Model):
    """An item that got worse on its own: a derived check turned from met to not met, or evidence expired."""
    __tablename__ = "standard_drift_events"
    __table_args__ = (Index("ix_standard_drift_events_school_id_at", "school_id", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("standard_items.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    cause: Mapped[str] = mapped_column(String(10))  # a key of DRIFT_CAUSES
    at: Mapped[datetime] = mapped_column(DateTime)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"), index=True)
    item = relationship(StandardItem)


class ConformanceMonth(SchoolScoped, db.Model):
    """A school's conformance to one baseline as it stood in one month: the trend's points.

    Written by `trends.record_month` after each refresh (the month's row is overwritten until the
    month ends, so each month keeps its last state) and by the generator for past months."""
    __tablename__ = "standard_conformance_months"
    __table_args__ = (UniqueConstraint("school_id", "baseline_id", "month",
                                       name="uq_standard_conformance_months_school_id_baseline_id_month"),
                      Index("ix_standard_conformance_months_baseline_id_month", "baseline_id", "month"))
    id: Mapped[int] = mapped_column(primary_key=True)
    baseline_id: Mapped[int] = mapped_column(ForeignKey("standard_baselines.id", ondelete="CASCADE"))
    month: Mapped[date] = mapped_column(Date)  # the first day of the month
    met: Mapped[int] = mapped_column(Integer, default=0)
    partly_met: Mapped[int] = mapped_column(Integer, default=0)
    not_met: Mapped[int] = mapped_column(Integer, default=0)
    unknown: Mapped[int] = mapped_column(Integer, default=0)  # unknown or evidence expired
    exception: Mapped[int] = mapped_column(Integer, default=0)
    applicable: Mapped[int] = mapped_column(Integer, default=0)  # every item but the not applicable
    core_met: Mapped[int] = mapped_column(Integer, default=0)
    core_applicable: Mapped[int] = mapped_column(Integer, default=0)


class StandardException(SchoolScoped, db.Model):
    """A school's time-limited exception to one item, decided by the IT director on a desk ticket.

    Asked for by the school (a ticket at the school, escalated to the trust's technical team), recommended
    by that team (escalated to the IT director as an "exception" decision), decided on the ticket
    (services/standards/exceptions.py listens to the desk's decisions). While approved and before
    `ends_on` is over, the school's conformance for the item shows "exception"; then it falls back to
    what the evidence says and the exception is marked expired.
    """
    __tablename__ = "standard_exceptions"
    __table_args__ = (Index("ix_standard_exceptions_school_id_status", "school_id", "status"),
                      Index("ix_standard_exceptions_school_id_item_id", "school_id", "item_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("standard_items.id", ondelete="CASCADE"), index=True)
    justification: Mapped[str] = mapped_column(Text)
    ends_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default="requested")  # a key of EXCEPTION_STATUSES
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    requested_at: Mapped[datetime] = mapped_column(DateTime)
    recommended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recommended_at: Mapped[datetime | None] = mapped_column(DateTime)
    recommendation: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decision_text: Mapped[str] = mapped_column(Text, default="")
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)  # withdrawn or expired
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"), index=True)
    item = relationship(StandardItem)
    ticket = relationship("Ticket")
    requested_by = relationship("User", foreign_keys=[requested_by_id])
    recommended_by = relationship("User", foreign_keys=[recommended_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])

    @property
    def status_label(self) -> str:
        return EXCEPTION_STATUSES.get(self.status, self.status)

    @property
    def expires_at(self) -> datetime:
        return ends_at(self.ends_on)


def ends_at(ends_on: date) -> datetime:
    """An exception holds through its last day: it ends at midnight (UTC) after `ends_on`."""
    return datetime.combine(ends_on + timedelta(days=1), time())
