"""The service desk: tickets and their history, SLA targets, escalations, notifications,
the knowledge base, training sessions and visits."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.base import SchoolScoped, TrustOrSchoolScoped, utcnow
from trust_it.extensions import db

KINDS = {"incident": "Something is broken", "request": "I need something", "guidance": "How do I…?"}
STATUSES = {"new": "New", "assigned": "Assigned", "in_progress": "In progress",
            "awaiting_requester": "Awaiting requester", "escalated": "Escalated", "resolved": "Resolved",
            "closed": "Closed", "reopened": "Reopened"}
OPEN_STATUSES = ("new", "assigned", "in_progress", "awaiting_requester", "escalated", "reopened")
TIERS = {1: "School", 2: "Trust technical team", 3: "IT director"}
TIER_PHRASES = {1: "the school", 2: "the trust's technical team", 3: "the IT director"}  # in a sentence
SOURCES = ("web", "email", "api")
IMPACTS = {1: "Whole school or many classes", 2: "A class or a team", 3: "Just me"}
URGENCIES = {1: "Stops teaching or work now", 2: "Soon: today", 3: "It can wait"}
DECISIONS = {"approved": "Approved", "rejected": "Rejected", "needs_info": "Needs more information"}

DEFAULT_CATEGORIES = ["Printing", "Classroom AV", "Wi-Fi and network", "MIS", "Accounts and MFA", "Devices",
                      "Software", "Filtering and safeguarding", "Security incident", "Starters and leavers",
                      "Procurement"]
DEFAULT_SERVICES = [("Data and MIS", "Pupil and staff data, the MIS and its integrations"),
                    ("Classroom AV", "Projectors, panels, speakers and visualisers"),
                    ("Printing", "Printers, copiers and print accounts"),
                    ("Wi-Fi and network", "Wireless, switches, cabling and internet access"),
                    ("Devices", "Laptops, desktops, tablets and their management"),
                    ("Accounts and identity", "Microsoft 365 accounts, passwords and MFA"),
                    ("Teaching and learning technology", "Using edtech well: training and guidance")]


class Category(db.Model):
    __tablename__ = "desk_categories"
    __table_args__ = (UniqueConstraint("trust_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    trust_id: Mapped[int] = mapped_column(ForeignKey("trusts.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Service(db.Model):
    """An IT service the trust publishes and someone owns, so schools see IT as a utility with a name
    to ask for each part (the Wi-Fi, the MIS, printing) rather than one anonymous helpdesk."""
    __tablename__ = "desk_services"
    __table_args__ = (UniqueConstraint("trust_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    trust_id: Mapped[int] = mapped_column(ForeignKey("trusts.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(String(500), default="")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    owner = relationship("User")


class SlaTarget(db.Model):
    """Working minutes to first response and to resolution, per priority; a school row overrides the trust's."""
    __tablename__ = "sla_targets"
    __table_args__ = (UniqueConstraint("trust_id", "school_id", "priority"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    trust_id: Mapped[int] = mapped_column(ForeignKey("trusts.id", ondelete="CASCADE"), index=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    priority: Mapped[int] = mapped_column(Integer)
    response_minutes: Mapped[int] = mapped_column(Integer)
    resolution_minutes: Mapped[int] = mapped_column(Integer)


_OPEN_ONLY = text("status IN ('new', 'assigned', 'in_progress', 'awaiting_requester', 'escalated', 'reopened')")


class Ticket(SchoolScoped, db.Model):
    __tablename__ = "tickets"
    __table_args__ = (
        UniqueConstraint("school_id", "number"),
        Index("ix_tickets_school_id_status_due", "school_id", "status", "resolution_due_at"),
        Index("ix_tickets_school_id_assignee_id", "school_id", "assignee_id"),
        Index("ix_tickets_school_id_requester_id", "school_id", "requester_id"),
        Index("ix_tickets_tier_status", "tier", "status"),
        # The SLA sweep reads only tickets whose next alarm has come: an index of running clocks.
        Index("ix_tickets_sla_next_check_at", "sla_next_check_at",
              postgresql_where=text("sla_next_check_at IS NOT NULL"),
              sqlite_where=text("sla_next_check_at IS NOT NULL")),
        # Open tickets in id order (the API's cursor pages): a small index, whatever the closed history.
        Index("ix_tickets_open_id", "id",
              postgresql_where=text("status IN ('new', 'assigned', 'in_progress', 'awaiting_requester', "
                                    "'escalated', 'reopened')"),
              sqlite_where=text("status IN ('new', 'assigned', 'in_progress', 'awaiting_requester', "
                                "'escalated', 'reopened')")),
        Index("ix_tickets_resolution_due_at", "resolution_due_at",
              postgresql_where=text("resolution_due_at IS NOT NULL"),
              sqlite_where=text("resolution_due_at IS NOT NULL")),
        # Open tickets of a tier, soonest due first (the escalation queue): a page reads its own rows only.
        Index("ix_tickets_open_tier_due", "tier", text("coalesce(resolution_due_at, sla_escalate_at)"), "id",
              postgresql_where=_OPEN_ONLY, sqlite_where=_OPEN_ONLY),
        # What the dashboard counts of each school's open tickets, readable from the index alone.
        Index("ix_tickets_open_school_tier_due", "school_id", "tier", "resolution_due_at",
              postgresql_include=["sla_breached_at"], postgresql_where=_OPEN_ONLY, sqlite_where=_OPEN_ONLY),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20), default="incident")
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    category_id: Mapped[int | None] = mapped_column(ForeignKey("desk_categories.id", ondelete="SET NULL"))
    service_id: Mapped[int | None] = mapped_column(ForeignKey("desk_services.id", ondelete="SET NULL"))
    impact: Mapped[int] = mapped_column(Integer, default=3)
    urgency: Mapped[int] = mapped_column(Integer, default=3)
    priority: Mapped[int] = mapped_column(Integer, default=4)
    status: Mapped[str] = mapped_column(String(20), default="new")
    tier: Mapped[int] = mapped_column(Integer, default=1)
    source: Mapped[str] = mapped_column(String(10), default="web")
    requester_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    requester_email: Mapped[str | None] = mapped_column(String(254))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The device and the room the ticket is about (services/assets), each from the ticket's own school.
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("assets.id", ondelete="SET NULL"))
    location_id: Mapped[int | None] = mapped_column(ForeignKey("asset_locations.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    first_response_at: Mapped[datetime | None] = mapped_column(DateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The SLA clock, in working minutes of the school's calendar (services/desk/sla.py).
    # Running: `sla_clock_from` is when the current stretch began, `sla_elapsed_minutes` what
    # earlier stretches used. Paused (awaiting requester) or stopped (resolved): clock_from NULL.
    # Each tier gets a window of the resolution target, starting at `sla_window_start` minutes.
    response_due_at: Mapped[datetime | None] = mapped_column(DateTime)
    resolution_due_at: Mapped[datetime | None] = mapped_column(DateTime)
    sla_target_minutes: Mapped[int] = mapped_column(Integer, default=0)
    sla_clock_from: Mapped[datetime | None] = mapped_column(DateTime)
    sla_elapsed_minutes: Mapped[int] = mapped_column(Integer, default=0)
    sla_window_start: Mapped[int] = mapped_column(Integer, default=0)
    sla_warned_window: Mapped[int | None] = mapped_column(Integer)
    sla_warn_at: Mapped[datetime | None] = mapped_column(DateTime)
    sla_escalate_at: Mapped[datetime | None] = mapped_column(DateTime)
    sla_next_check_at: Mapped[datetime | None] = mapped_column(DateTime)
    sla_paused_at: Mapped[datetime | None] = mapped_column(DateTime)
    sla_breached_at: Mapped[datetime | None] = mapped_column(DateTime)
    message_id: Mapped[str | None] = mapped_column(String(250), index=True)

    school = relationship("School")
    requester = relationship("User", foreign_keys=[requester_id])
    assignee = relationship("User", foreign_keys=[assignee_id])
    category = relationship(Category)
    service = relationship(Service)
    asset = relationship("Asset")
    location = relationship("Location")

    @property
    def reference(self) -> str:
        return f"{self.school.ticket_prefix}-{self.number:06d}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def sla_paused(self) -> bool:
        """The SLA clock is stopped while the ticket waits for the requester."""
        return self.sla_paused_at is not None


class TicketEvent(SchoolScoped, db.Model):
    """One ordered history per ticket: replies, notes, status changes, assignments, escalations, SLA events."""
    __tablename__ = "ticket_events"
    __table_args__ = (Index("ix_ticket_events_school_id_ticket_id_id", "school_id", "ticket_id", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # created, reply, note, status, assignment, escalation, ...
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    actor = relationship("User")
    attachments = relationship("Attachment", back_populates="event", order_by="Attachment.id")


class Escalation(SchoolScoped, db.Model):
    __tablename__ = "escalations"
    __table_args__ = (Index("ix_escalations_school_id_ticket_id", "school_id", "ticket_id"),
                      Index("ix_escalations_ticket_id_id", "ticket_id", "id"),  # a ticket's trail, newest
                      Index("ix_escalations_to_tier_decided_at", "to_tier", "decided_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    from_tier: Mapped[int] = mapped_column(Integer)
    to_tier: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    decision_kind: Mapped[str | None] = mapped_column(String(20))  # spend, policy, exception, change (tier 3)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    automatic: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    decision: Mapped[str | None] = mapped_column(String(20))
    decision_text: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    ticket = relationship(Ticket)
    actor = relationship("User", foreign_keys=[actor_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])

    @property
    def upward(self) -> bool:
        return self.to_tier > self.from_tier


class Attachment(SchoolScoped, db.Model):
    __tablename__ = "attachments"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_events.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    event = relationship(TicketEvent, back_populates="attachments")


class Notification(db.Model):
    """The outbox: every email is written here before anything tries to send it."""
    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_status_id", "status", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    trust_id: Mapped[int | None] = mapped_column(ForeignKey("trusts.id", ondelete="CASCADE"), index=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    message_id: Mapped[str] = mapped_column(String(250), unique=True)
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending, sent, outbox, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)


class Article(TrustOrSchoolScoped, db.Model):
    """Guidance: trust-wide (school_id NULL) or one school's; staff search it before raising a ticket."""
    __tablename__ = "articles"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    keywords: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(10), default="draft")  # draft, published
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    author = relationship("User")


class ArticleOpening(SchoolScoped, db.Model):
    """An article opened from the portal; with no ticket raised after it, the question was deflected."""
    __tablename__ = "article_openings"
    __table_args__ = (Index("ix_article_openings_school_id_article_id", "school_id", "article_id"),
                      # "this person's openings here in the last 30 minutes", at every ticket raised
                      Index("ix_article_openings_school_id_user_id_opened_at", "school_id", "user_id", "opened_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    opened_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))


class TicketArticle(SchoolScoped, db.Model):
    """A guidance ticket answered by linking an article."""
    __tablename__ = "ticket_articles"
    __table_args__ = (UniqueConstraint("ticket_id", "article_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    article = relationship(Article)


class TrainingSession(SchoolScoped, db.Model):
    __tablename__ = "training_sessions"
    __table_args__ = (Index("ix_training_sessions_school_id_held_on", "school_id", "held_on"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    held_on: Mapped[date] = mapped_column(Date)
    topic: Mapped[str] = mapped_column(String(200))
    led_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    attendees: Mapped[str] = mapped_column(Text, default="")  # one name per line
    attendee_count: Mapped[int] = mapped_column(Integer, default=0)
    notes: Mapped[str] = mapped_column(Text, default="")
    led_by = relationship("User")


class TrainingTicket(SchoolScoped, db.Model):
    __tablename__ = "training_tickets"
    __table_args__ = (UniqueConstraint("training_id", "ticket_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    training_id: Mapped[int] = mapped_column(ForeignKey("training_sessions.id", ondelete="CASCADE"))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))


class Visit(SchoolScoped, db.Model):
    """A technician's or MSP engineer's visit to a school: planned, then done."""
    __tablename__ = "visits"
    __table_args__ = (Index("ix_visits_school_id_starts_at", "school_id", "starts_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    engineer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    starts_at: Mapped[datetime] = mapped_column(DateTime)
    ends_at: Mapped[datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(10), default="planned")  # planned, done, cancelled
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    engineer = relationship("User")


class VisitTicket(SchoolScoped, db.Model):
    __tablename__ = "visit_tickets"
    __table_args__ = (UniqueConstraint("visit_id", "ticket_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
