"""The asset register: every device in every school, its rooms, licences, history and transfers.

An asset belongs to one school (its current owner) and moves between schools only by a
transfer, which carries its history with it. Tags are unique across the trust, serial numbers
per manufacturer within the trust, so a device keeps one identity whichever school holds it.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.base import SchoolScoped, TrustOrSchoolScoped, utcnow
from trust_it.extensions import db

STATUSES = {"in_stock": "In stock", "deployed": "Deployed", "in_repair": "In repair", "retired": "Retired",
            "lost_stolen": "Lost or stolen", "disposed": "Disposed"}
# No longer in service: out of warranty and refresh counts, kept for the record (WEEE, audits).
GONE_STATUSES = ("retired", "lost_stolen", "disposed")
FUNDING = {"school_budget": "School budget", "trust_capital": "Trust capital", "grant": "Grant"}
DISPOSAL_METHODS = {"weee_recycler": "WEEE recycler", "resold": "Resold", "donated": "Donated",
                    "returned_to_lessor": "Returned to lessor", "destroyed": "Destroyed"}
# (name, expected life in years, replacement unit cost in £): the trust edits all three.
DEFAULT_CATEGORIES = [("Laptop", 5, 650), ("Desktop", 6, 600), ("Tablet", 4, 350), ("Chromebook", 5, 300),
                      ("Interactive panel", 8, 2500), ("Projector", 7, 900), ("Printer/copier", 6, 1500),
                      ("Switch", 8, 1200), ("Wireless access point", 6, 400), ("Firewall", 5, 3000),
                      ("Server", 6, 5000), ("UPS", 5, 600), ("Phone", 4, 250), ("Other", 5, 200)]


def _identifier(length: int):
    """Tags, serials and device names compare byte by byte ("C" collation on PostgreSQL, as SQLite's
    BINARY): a prefix search is then a range (`>=`, `<`), which the planner may use an index for even
    under row-level security — LIKE is not leakproof, so there it would scan every asset."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")


# Custom fields a category asks for: [{"key": "screen_size", "label": "Screen size", "type": "text"}].
CUSTOM_FIELD_TYPES = ("text", "number", "date", "boolean")


class AssetCategory(db.Model):
    """A kind of device, with how long it lasts and what replacing one costs (for the refresh forecast)."""
    __tablename__ = "asset_categories"
    __table_args__ = (UniqueConstraint("trust_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    trust_id: Mapped[int] = mapped_column(ForeignKey("trusts.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    expected_life_months: Mapped[int] = mapped_column(Integer, default=60)
    unit_cost: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=0)
    custom_fields: Mapped[list] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Location(SchoolScoped, db.Model):
    """A room or place in a school ("Science block S12"), so a panel or projector has a place a ticket can name."""
    __tablename__ = "asset_locations"
    __table_args__ = (UniqueConstraint("school_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    building: Mapped[str] = mapped_column(String(120), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    school = relationship("School")


class Asset(SchoolScoped, db.Model):
    __tablename__ = "assets"
    __table_args__ = (
        UniqueConstraint("trust_id", "tag", name="uq_assets_trust_tag"),
        UniqueConstraint("trust_id", "manufacturer_key", "serial", name="uq_assets_trust_maker_serial"),
        Index("ix_assets_school_id_status_category", "school_id", "status", "category_id"),
        Index("ix_assets_school_id_tag", "school_id", "tag"),
        Index("ix_assets_school_id_assigned_user_id", "school_id", "assigned_user_id"),
        Index("ix_assets_school_id_location_id", "school_id", "location_id"),
        Index("ix_assets_school_id_replacement_due_on", "school_id", "replacement_due_on"),
        Index("ix_assets_school_id_warranty_ends_on", "school_id", "warranty_ends_on"),
        # Trust-wide "find this serial, tag or device name" across every school: a prefix range
        # (see _identifier). Tags and serials are stored upper-case.
        Index("ix_assets_serial_prefix", "serial"),
        Index("ix_assets_tag_prefix", "tag"),
        Index("ix_assets_name_prefix", "name"),
        # Whose devices, and what is in a room, across the trust (and the foreign keys' own deletes).
        Index("ix_assets_assigned_user_id", "assigned_user_id"),
        Index("ix_assets_location_id", "location_id"),
        # The trust-wide counts of a category narrowed by dates ("laptops out of warranty"): read
        # from this index alone, without visiting the table, whatever school each asset is at.
        Index("ix_assets_category_warranty", "category_id", "warranty_ends_on",
              postgresql_include=["school_id", "status", "replacement_due_on", "purchased_on"]),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    trust_id: Mapped[int] = mapped_column(ForeignKey("trusts.id", ondelete="CASCADE"))
    tag: Mapped[str] = mapped_column(_identifier(40))
    serial: Mapped[str | None] = mapped_column(_identifier(100))
    manufacturer: Mapped[str] = mapped_column(String(100), default="")
    # lower(manufacturer) so "Dell" and "DELL " are one maker for the serial's uniqueness.
    manufacturer_key: Mapped[str] = mapped_column(String(100), default="")
    model: Mapped[str] = mapped_column(String(150), default="")
    model_number: Mapped[str] = mapped_column(String(100), default="")
    name: Mapped[str] = mapped_column(_identifier(150), default="")  # a device name, e.g. OAK-LT-0042
    category_id: Mapped[int] = mapped_column(ForeignKey("asset_categories.id"))
    os: Mapped[str] = mapped_column(String(60), default="")
    os_version: Mapped[str] = mapped_column(String(60), default="")
    status: Mapped[str] = mapped_column(String(20), default="in_stock")
    assigned_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    location_id: Mapped[int | None] = mapped_column(ForeignKey("asset_locations.id", ondelete="SET NULL"))
    purchased_on: Mapped[date | None] = mapped_column(Date)
    supplier: Mapped[str] = mapped_column(String(150), default="")
    order_number: Mapped[str] = mapped_column(String(100), default="")
    cost: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    funding: Mapped[str | None] = mapped_column(String(20))
    warranty_ends_on: Mapped[date | None] = mapped_column(Date)
    # Derived (services/assets/lifecycle.py): the end-of-life date a file gave, else purchase + the
    # category's expected life. Stored so lists, filters and the forecast read an index, and
    # recomputed in one statement when a category's life changes.
    end_of_life_on: Mapped[date | None] = mapped_column(Date)
    replacement_due_on: Mapped[date | None] = mapped_column(Date)
    disposed_on: Mapped[date | None] = mapped_column(Date)
    disposal_method: Mapped[str | None] = mapped_column(String(30))
    wipe_certificate: Mapped[str] = mapped_column(String(120), default="")
    # From Intune (services/assets/intune.py); NULL when the device is not managed.
    intune_device_id: Mapped[str | None] = mapped_column(String(64))
    compliance: Mapped[str | None] = mapped_column(String(30))
    encrypted: Mapped[bool | None] = mapped_column(Boolean)
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime)
    unseen_since: Mapped[datetime | None] = mapped_column(DateTime)
    notes: Mapped[str] = mapped_column(Text, default="")
    custom: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    school = relationship("School")
    category = relationship(AssetCategory)
    assigned_user = relationship("User")
    location = relationship(Location)

    @property
    def in_service(self) -> bool:
        return self.status not in GONE_STATUSES


class AssetEvent(SchoolScoped, db.Model):
    """One history per asset: created, changed (field → [before, after]), assigned, transferred, synced, disposed.

    Events move with the asset on a transfer (their school_id follows it), so the school that
    holds a device sees its whole life; the school it left keeps the transfer record."""
    __tablename__ = "asset_events"
    __table_args__ = (Index("ix_asset_events_school_id_asset_id_id", "school_id", "asset_id", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    actor = relationship("User")


class Transfer(db.Model):
    """Assets moved from one school to another, all at once, with a reason.

    Not school-scoped: both schools see it (row-level security and `transfers.visible()` admit
    a transfer whose source or destination is in scope)."""
    __tablename__ = "asset_transfers"
    __table_args__ = (Index("ix_asset_transfers_from_school_id", "from_school_id", "id"),
                      Index("ix_asset_transfers_to_school_id", "to_school_id", "id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    trust_id: Mapped[int] = mapped_column(ForeignKey("trusts.id", ondelete="CASCADE"), index=True)
    from_school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    to_school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    asset_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    from_school = relationship("School", foreign_keys=[from_school_id])
    to_school = relationship("School", foreign_keys=[to_school_id])
    actor = relationship("User")
    items = relationship("TransferItem", order_by="TransferItem.id")


class TransferItem(db.Model):
    """Which assets a transfer moved, with the tag they had, readable by both schools."""
    __tablename__ = "asset_transfer_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("asset_transfers.id", ondelete="CASCADE"), index=True)
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("assets.id", ondelete="SET NULL"), index=True)
    tag: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(String(300), default="")


class Licence(TrustOrSchoolScoped, db.Model):
    """A software licence, trust-wide (school NULL) or one school's: seats bought and used, expiry, cost."""
    __tablename__ = "licences"
    __table_args__ = (Index("ix_licences_school_id_expires_on", "school_id", "expires_on"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    product: Mapped[str] = mapped_column(String(150))
    vendor: Mapped[str] = mapped_column(String(150), default="")
    seats: Mapped[int] = mapped_column(Integer, default=1)
    seats_used: Mapped[int] = mapped_column(Integer, default=0)
    expires_on: Mapped[date | None] = mapped_column(Date)
    cost: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    reference: Mapped[str] = mapped_column(String(120), default="")  # agreement or order number
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    school = relationship("School")


# --- Intune sync (services/assets/intune.py) --------------------------------------------------

SYNC_RULE_KINDS = {"group": "Member of the Entra group", "name_prefix": "Device name starts with",
                   "user_school": "The primary user's school"}
SYNC_STATUSES = {"running": "Running", "succeeded": "Completed", "failed": "Failed"}


class SyncTenant(db.Model):
    """A sign-in tenant of the trust whose Intune devices the register takes in.

    Only the choice is stored: the app registration's secret comes from the environment."""
    __tablename__ = "asset_sync_tenants"
    id: Mapped[int] = mapped_column(primary_key=True)
    trust_id: Mapped[int] = mapped_column(ForeignKey("trusts.id", ondelete="CASCADE"), index=True)
    entra_tenant_id: Mapped[int] = mapped_column(ForeignKey("entra_tenants.id", ondelete="CASCADE"), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    entra_tenant = relationship("EntraTenant")


class SyncMapping(db.Model):
    """Where a device new to the register goes: the trust's rules, tried in `position` order.

    Trust settings, not a school's rows: `school_id` is the school a match sends a device to
    (NULL for "the primary user's school")."""
    __tablename__ = "asset_sync_mappings"
    __table_args__ = (Index("ix_asset_sync_mappings_trust_id_position", "trust_id", "position"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    trust_id: Mapped[int] = mapped_column(ForeignKey("trusts.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(20))  # a key of SYNC_RULE_KINDS
    value: Mapped[str] = mapped_column(String(200), default="")  # group id or name, or the name prefix
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    school = relationship("School")

    @property
    def kind_label(self) -> str:
        return SYNC_RULE_KINDS.get(self.kind, self.kind)


class SyncRun(db.Model):
    """One pull of one tenant's managed devices: when, what it did, and what went wrong."""
    __tablename__ = "asset_sync_runs"
    __table_args__ = (Index("ix_asset_sync_runs_trust_id_id", "trust_id", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    trust_id: Mapped[int] = mapped_column(ForeignKey("trusts.id", ondelete="CASCADE"))
    entra_tenant_id: Mapped[int | None] = mapped_column(ForeignKey("entra_tenants.id", ondelete="SET NULL"))
    tenant_label: Mapped[str] = mapped_column(String(250), default="")  # kept if the tenant is removed
    trigger: Mapped[str] = mapped_column(String(20), default="schedule")  # schedule | by_hand
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(20), default="running")
    started_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    devices: Mapped[int] = mapped_column(Integer, default=0)  # managed devices Intune listed
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    unseen: Mapped[int] = mapped_column(Integer, default=0)  # newly marked unseen for 30 days
    skipped: Mapped[int] = mapped_column(Integer, default=0)  # virtual, duplicate or unplaced
    unplaced: Mapped[int] = mapped_column(Integer, default=0)  # new devices no mapping rule placed
    error: Mapped[str] = mapped_column(Text, default="")
    # {"unplaced": [device names], "skipped": [{"device": name, "reason": text}]}, each list capped.
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    requested_by = relationship("User")

    @property
    def status_label(self) -> str:
        return SYNC_STATUSES.get(self.status, self.status)


# The sync finds a device by its Intune id first (a serial can be blank, or change with a new board).
Index("ix_assets_trust_id_intune_device_id", Asset.trust_id, Asset.intune_device_id)


class ImportRun(TrustOrSchoolScoped, db.Model):
    """One uploaded register file: its preview, the choices made on it, and the job that writes it.

    `school_id` is the school the file goes into; NULL for a trust-wide file whose rows name their
    schools. The file itself is kept on the row, so the worker that commits it needs no shared disk
    and the preview can be read again by anyone who sees the run."""
    __tablename__ = "asset_import_runs"
    __table_args__ = (Index("ix_asset_import_runs_trust_id_id", "trust_id", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(200))
    content: Mapped[bytes] = mapped_column(db.LargeBinary, deferred=True)
    # previewed → queued → running → done | failed
    status: Mapped[str] = mapped_column(String(12), default="previewed")
    date_order: Mapped[str | None] = mapped_column(String(3))  # "dmy" or "mdy" when the file's dates need it
    valid_rows_only: Mapped[bool] = mapped_column(Boolean, default=False)
    create_categories: Mapped[bool] = mapped_column(Boolean, default=False)
    preview: Mapped[dict] = mapped_column(JSON, default=dict)
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    school = relationship("School")
    actor = relationship("User")
