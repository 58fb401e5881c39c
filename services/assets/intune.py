"""Intune sync: the trust's managed devices, pulled from Microsoft Graph into the register.

One run reads every page of one tenant's `deviceManagement/managedDevices` first, then writes:
a page that fails midway leaves nothing half-applied, and the run is recorded as failed with
the reason (the writes happen in a savepoint, so a database error undoes them the same way).

A device is the register's asset when its Intune id is one we stored, else when its serial
(`lifecycle.serial_key`) and maker match, else when its serial alone matches exactly one asset
(Intune says "Dell Inc." where a spreadsheet said "Dell"). Changes are written set-based: per
chunk of devices one INSERT of new assets, one UPDATE of changed ones and one INSERT of their
history. A new device goes to the school the trust's mapping rules give it, tried in order; no
rule → it is skipped as "unplaced", never put in a school at random.

What Graph really sends, handled on purpose: "" where a value is unknown (kept as unknown, never
written over a known value), `0001-01-01T00:00:00Z` for "never synced", Cloud PCs and virtual
machines (whose serial identifies no hardware: skipped with the reason), devices with no
primary user, and one device listed twice (an old record kept after a re-enrolment: the most
recently synced one counts).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import and_, func, or_, select

from services.assets import categories
from services.assets.graph import GraphClient, GraphError
from services.assets.lifecycle import manufacturer_key, serial_key
from services.assets.models import GONE_STATUSES, Asset, AssetEvent, SyncMapping, SyncRun, SyncTenant
from services.desk import bulk
from services.directory.models import Membership, User
from trust_it.extensions import db

logger = logging.getLogger(__name__)
CHUNK = 500
UNSEEN_AFTER = timedelta(days=30)
DETAIL_LIMIT = 200  # names kept in a run's details: enough to act on, not a copy of Intune
# The columns a sync may change on an existing asset (history records each change as before → after).
SYNCED = ("name", "model", "manufacturer", "manufacturer_key", "serial", "os", "os_version", "compliance",
          "encrypted", "last_seen_at", "unseen_since", "assigned_user_id", "intune_device_id")
# Makers that only ever make virtual machines; "Microsoft Corporation" also makes Surfaces, so
# Microsoft's virtual machines are told apart by their model instead.
VIRTUAL_MAKERS = {"vmware, inc.": "VMware", "vmware": "VMware", "qemu": "QEMU", "innotek gmbh": "VirtualBox",
                  "parallels software international inc.": "Parallels", "parallels international gmbh": "Parallels",
                  "xen": "Xen", "amazon ec2": "Amazon EC2", "nutanix": "Nutanix", "red hat": "Red Hat KVM"}
VIRTUAL_MODELS = ("virtual machine", "vmware", "virtualbox", "kvm", "standard pc (q35", "standard pc (i440fx",
                  "hvm domu", "google compute engine")


@dataclass
class Device:
    """One managed device as Graph described it, tidied: unknowns are None or "", never "0001-01-01"."""
    intune_id: str
    name: str
    serial: str | None
    manufacturer: str
    model: str
    os: str
    os_version: str
    compliance: str | None
    encrypted: bool | None
    last_sync: datetime | None
    user_emails: tuple[str, ...]
    user_id: str | None

    @property
    def maker_key(self) -> str:
        return manufacturer_key(self.manufacturer)

    @property
    def label(self) -> str:
        return self.name or self.serial or self.intune_id


def _text(value, length: int) -> str:
    return value.strip()[:length] if isinstance(value, str) else ""


def _moment(value) -> datetime | None:
    """Naive UTC, or None for Graph's "never" (0001-01-01T00:00:00Z) and anything unreadable."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.year < 1980:  # no managed device checked in before Intune existed: this is "never"
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment.replace(microsecond=0)


def read_device(raw: dict) -> Device:
    emails = tuple(dict.fromkeys(e for e in (_text(raw.get("userPrincipalName"), 254).lower(),
                                             _text(raw.get("emailAddress"), 254).lower()) if "@" in e))
    encrypted = raw.get("isEncrypted")
    return Device(
        intune_id=_text(raw.get("id"), 64), name=_text(raw.get("deviceName"), 150),
        serial=serial_key(_text(raw.get("serialNumber"), 100)), manufacturer=_text(raw.get("manufacturer"), 100),
        model=_text(raw.get("model"), 150), os=_text(raw.get("operatingSystem"), 60),
        os_version=_text(raw.get("osVersion"), 60), compliance=_text(raw.get("complianceState"), 30) or None,
        encrypted=encrypted if isinstance(encrypted, bool) else None, last_sync=_moment(raw.get("lastSyncDateTime")),
        user_emails=emails, user_id=_text(raw.get("userId"), 64) or None)


def virtual_reason(device: Device) -> str | None:
    """Why a device is not hardware for the register, or None when it is."""
    model = device.model.lower()
    if "cloud pc" in model:
        return "Windows 365 Cloud PC: not a physical device"
    maker = VIRTUAL_MAKERS.get(device.maker_key)
    if maker:
        return f"{maker} virtual machine: not a physical device"
    if model.startswith(VIRTUAL_MODELS) or (device.serial or "").startswith("VMWARE-"):
        return "Virtual machine: not a physical device"
    return None


# --- a run ------------------------------------------------------------------------------------

@dataclass
class _Tally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    unseen: int = 0
    skipped: list = field(default_factory=list)    # {"device", "reason"}
    unplaced: list = field(default_factory=list)   # device names


@dataclass
class _Context:
    trust_id: int
    now: datetime
    client: GraphClient
    rules: list
    category_ids: dict
    tally: _Tally = field(default_factory=_Tally)
    claimed: set = field(default_factory=set)      # asset ids a device of this run has matched
    tags: set = field(default_factory=set)         # tags given out in this run
    groups: dict = field(default_factory=dict)     # Entra user id → their groups' ids and names


def sync_tenant(sync: SyncTenant, *, now: datetime, client: GraphClient, trigger: str = "schedule",
                by_id: int | None = None, clock=None) -> SyncRun:
    """Pull one tenant's devices into the register and record the run (flushes, never commits).

    `now` is the run's moment (the caller's); `clock()` gives the finishing time, `now` if absent."""
    tenant = sync.entra_tenant
    run = SyncRun(trust_id=sync.trust_id, entra_tenant_id=tenant.id, trigger=trigger, requested_by_id=by_id,
                  tenant_label=(f"{tenant.label} ({tenant.tenant_id})" if tenant.label else tenant.tenant_id)[:250],
                  status="running", started_at=now, details={}, error="")
    db.session.add(run)
    db.session.flush()
    try:
        with db.session.begin_nested():
            tally, listed = _sync(sync.trust_id, now, client)
    except GraphError as exc:
        _failed(run, exc.message)
    except Exception as exc:  # a bug or the database: the run says so; the log has the traceback
        logger.exception("Intune sync of tenant %s failed", tenant.tenant_id)
        _failed(run, f"The sync stopped on an unexpected error ({type(exc).__name__}: {str(exc)[:300]}).")
    else:
        run.status = "succeeded"
        run.devices, run.created, run.updated = listed, tally.created, tally.updated
        run.unchanged, run.unseen, run.unplaced = tally.unchanged, tally.unseen, len(tally.unplaced)
        run.skipped = len(tally.skipped) + len(tally.unplaced)
        run.details = {"unplaced": tally.unplaced[:DETAIL_LIMIT], "skipped": tally.skipped[:DETAIL_LIMIT]}
    run.finished_at = clock() if clock else now
    db.session.flush()
    return run


def _failed(run: SyncRun, message: str) -> None:
    run.status = "failed"
    run.error = message + " Nothing was changed in the register; the next run starts again from the first page."


def _sync(trust_id: int, now: datetime, client: GraphClient) -> tuple[_Tally, int]:
    # Every page first: a page that fails midway must leave nothing half-applied.
    listed = [read_device(raw) for page in client.managed_devices() for raw in page if isinstance(raw, dict)]
    ctx = _Context(trust_id=trust_id, now=now, client=client, rules=_rules(trust_id),
                   category_ids={c.name.lower(): c.id for c in categories.ensure_defaults(trust_id)})
    devices = _hardware_once_each(listed, ctx.tally)
    for start in range(0, len(devices), CHUNK):
        _apply(devices[start:start + CHUNK], ctx)
    ctx.tally.unseen = _mark_unseen(trust_id, now)
    return ctx.tally, len(listed)


def _rules(trust_id: int) -> list[SyncMapping]:
    return list(db.session.execute(select(SyncMapping).where(SyncMapping.trust_id == trust_id)
                                   .order_by(SyncMapping.position, SyncMapping.id)).scalars())


def _hardware_once_each(listed: list[Device], tally: _Tally) -> list[Device]:
    """Leave out virtual machines and devices without an id; of one serial listed twice, the most recent."""
    best: dict[tuple, Device] = {}
    kept: list[Device] = []
    for device in listed:
        reason = "Intune gave no device id" if not device.intune_id else virtual_reason(device)
        if reason:
            tally.skipped.append({"device": device.label, "reason": reason})
            continue
        if device.serial is None:
            kept.append(device)
            continue
        key = (device.serial, device.maker_key)
        other = best.get(key)
        if other is None:
            best[key] = device
            continue
        newer, older = (device, other) if (device.last_sync or datetime.min) > (other.last_sync or datetime.min) \
            else (other, device)
        best[key] = newer
        tally.skipped.append({"device": older.label, "reason": f"Serial {device.serial} is listed twice; "
                              f"the more recently synced record ({newer.label}) was used"})
    return kept + list(best.values())


def _apply(devices: list[Device], ctx: _Context) -> None:
    assets = _assets_for(devices, ctx.trust_id)
    people = _people_for(devices, ctx)
    by_id = {a.intune_device_id: a for a in assets if a.intune_device_id}
    by_serial_maker = {(a.serial, a.manufacturer_key): a for a in assets if a.serial}
    by_serial: dict[str, list] = {}
    for a in assets:
        if a.serial:
            by_serial.setdefault(a.serial, []).append(a)

    updates, events, new = [], [], []
    for device in devices:
        asset = by_id.get(device.intune_id) or by_serial_maker.get((device.serial, device.maker_key))
        if asset is None and device.serial and len(by_serial.get(device.serial, ())) == 1:
            asset = by_serial[device.serial][0]
        if asset is not None and asset.id in ctx.claimed:
            ctx.tally.skipped.append({"device": device.label, "reason": "Another Intune device already "
                                      "matched the same asset in this run"})
            continue
        if asset is None:
            new.append(device)
            continue
        ctx.claimed.add(asset.id)
        after = _synced_values(asset, device, people, by_serial_maker, ctx.now)
        changes = {name: [_plain(getattr(asset, name)), _plain(value)] for name, value in after.items()
                   if getattr(asset, name) != value}
        if not changes:
            ctx.tally.unchanged += 1
            continue
        ctx.tally.updated += 1
        updates.append({"id": asset.id, **after, "updated_at": ctx.now})
        events.append(_event(asset.id, asset.school_id, "synced", changes, ctx.now))
    bulk.update_rows(Asset, updates)
    events += _create(new, people, ctx)
    bulk.insert_rows(AssetEvent, events)


def _assets_for(devices: list[Device], trust_id: int) -> list:
    ids = [d.intune_id for d in devices]
    serials = sorted({d.serial for d in devices if d.serial})
    return list(db.session.execute(
        select(Asset.id, Asset.school_id, *(getattr(Asset, name) for name in SYNCED))
        .where(Asset.trust_id == trust_id, or_(Asset.intune_device_id.in_(ids), Asset.serial.in_(serials)))).all())


@dataclass
class _People:
    user_by_email: dict   # lower-case email → user id
    schools: dict         # user id → ids of the schools they are a current member of


def _people_for(devices: list[Device], ctx: _Context) -> _People:
    emails = sorted({e for d in devices for e in d.user_emails})
    rows = db.session.execute(
        select(User.id, func.lower(User.email), Membership.school_id)
        .outerjoin(Membership, and_(Membership.user_id == User.id, Membership.school_id.is_not(None),
                                    Membership.current_at(ctx.now)))
        .where(User.trust_id == ctx.trust_id, User.active.is_(True), func.lower(User.email).in_(emails))).all()
    people = _People({}, {})
    for user_id, email, school_id in rows:
        people.user_by_email[email] = user_id
        schools = people.schools.setdefault(user_id, set())
        if school_id is not None:
            schools.add(school_id)
    return people


def _user_of(device: Device, people: _People) -> int | None:
    return next((people.user_by_email[e] for e in device.user_emails if e in people.user_by_email), None)


def _synced_values(asset, device: Device, people: _People, by_serial_maker: dict, now: datetime) -> dict:
    """What the asset's synced columns become: Intune's word where it has one, the register's where not."""
    user_id = _user_of(device, people)
    assigned = user_id if user_id and asset.school_id in people.schools.get(user_id, ()) else asset.assigned_user_id
    maker, maker_key = asset.manufacturer, asset.manufacturer_key
    if not maker and device.manufacturer:  # the register's maker wins: it is half of the serial's identity
        maker, maker_key = device.manufacturer, device.maker_key
    serial = asset.serial
    if serial is None and device.serial and by_serial_maker.get((device.serial, maker_key)) in (None, asset):
        serial = device.serial
    last_seen = device.last_sync or asset.last_seen_at
    recently = last_seen is not None and last_seen >= now - UNSEEN_AFTER
    return {"name": device.name or asset.name, "model": device.model or asset.model, "manufacturer": maker,
            "manufacturer_key": maker_key, "serial": serial, "os": device.os or asset.os,
            "os_version": device.os_version or asset.os_version, "compliance": device.compliance or asset.compliance,
            "encrypted": asset.encrypted if device.encrypted is None else device.encrypted,
            "last_seen_at": last_seen, "unseen_since": None if recently else asset.unseen_since,
            "assigned_user_id": assigned, "intune_device_id": device.intune_id}


def _create(devices: list[Device], people: _People, ctx: _Context) -> list[dict]:
    """Insert the devices the register has not got, where a rule places them; their history rows."""
    rows = []
    taken = _taken_tags([d.serial for d in devices if d.serial], ctx.trust_id) | ctx.tags
    for device in devices:
        school_id = _place(device, people, ctx)
        if school_id is None:
            ctx.tally.unplaced.append(device.label)
            continue
        user_id = _user_of(device, people)
        tag = device.serial if device.serial and len(device.serial) <= 40 and device.serial not in taken else \
            "IN-" + device.intune_id.replace("-", "").upper()[:37]
        taken.add(tag)
        ctx.tags.add(tag)
        rows.append({
            "trust_id": ctx.trust_id, "school_id": school_id, "tag": tag, "serial": device.serial,
            "manufacturer": device.manufacturer, "manufacturer_key": device.maker_key, "model": device.model,
            "name": device.name, "category_id": ctx.category_ids.get(_category(device)) or
            ctx.category_ids["other"], "os": device.os, "os_version": device.os_version, "status": "deployed",
            "assigned_user_id": user_id if user_id and school_id in people.schools.get(user_id, ()) else None,
            "compliance": device.compliance, "encrypted": device.encrypted, "last_seen_at": device.last_sync,
            "unseen_since": None, "intune_device_id": device.intune_id, "created_at": ctx.now,
            "updated_at": ctx.now})
    if not rows:
        return []
    made = bulk.insert_rows(Asset, rows, returning=("id", "intune_device_id"))
    ids = {intune_id: asset_id for asset_id, intune_id in made}
    ctx.tally.created += len(rows)
    return [_event(ids[row["intune_device_id"]], row["school_id"], "created", {}, ctx.now,
                   note="Found in Intune.") for row in rows]


def _taken_tags(candidates: list[str], trust_id: int) -> set[str]:
    if not candidates:
        return set()
    return set(db.session.execute(select(Asset.tag).where(Asset.trust_id == trust_id,
                                                          Asset.tag.in_(sorted(set(candidates))))).scalars())


def _place(device: Device, people: _People, ctx: _Context) -> int | None:
    """The school of a device new to the register: the first rule that matches, or None."""
    for rule in ctx.rules:
        if rule.kind == "name_prefix" and rule.value and device.name.upper().startswith(rule.value.strip().upper()):
            return rule.school_id
        if rule.kind == "user_school":
            user_id = _user_of(device, people)
            schools = people.schools.get(user_id, set()) if user_id else set()
            if len(schools) == 1:  # a person in two schools says nothing about which one has the laptop
                return next(iter(schools))
        if rule.kind == "group" and device.user_id and rule.value.strip().lower() in _groups(device.user_id, ctx):
            return rule.school_id
    return None


def _groups(user_id: str, ctx: _Context) -> set[str]:
    # Only for people whose new devices reach a group rule, once per person per run.
    if user_id not in ctx.groups:
        ctx.groups[user_id] = ctx.client.group_names_of(user_id)
    return ctx.groups[user_id]


def _category(device: Device) -> str:
    os, model = device.os.lower(), device.model.lower()
    if "chrome" in os:
        return "chromebook"
    if model.startswith("iphone") or "phone" in model:
        return "phone"
    if os in ("ios", "ipados", "android") or model.startswith("ipad") or "tab" in model:
        return "tablet"
    if any(word in model for word in ("book", "laptop", "latitude", "thinkpad", "vostro", "inspiron", "probook",
                                      "elitebook", "travelmate", "swift", "aspire", "ideapad", "chromebook")):
        return "laptop"
    if any(word in model for word in ("optiplex", "prodesk", "elitedesk", "thinkcentre", "imac", "mac mini",
                                      "veriton", "all-in-one", "desktop", "tower")):
        return "desktop"
    return "other"


def _mark_unseen(trust_id: int, now: datetime) -> int:
    """Devices Intune has not seen for 30 days: marked once, with the moment they were last seen."""
    last = func.coalesce(Asset.last_seen_at, Asset.created_at)
    rows = db.session.execute(select(Asset.id, Asset.school_id, last).where(
        Asset.trust_id == trust_id, Asset.intune_device_id.is_not(None), Asset.unseen_since.is_(None),
        Asset.status.notin_(GONE_STATUSES), last < now - UNSEEN_AFTER)).all()
    bulk.update_rows(Asset, [{"id": asset_id, "unseen_since": seen, "updated_at": now}
                             for asset_id, _, seen in rows])
    bulk.insert_rows(AssetEvent, [_event(asset_id, school_id, "synced", {"unseen_since": [None, _plain(seen)]}, now,
                                         note="Not seen by Intune for 30 days.") for asset_id, school_id, seen in rows])
    return len(rows)


def _event(asset_id: int, school_id: int, kind: str, changes: dict, now: datetime, note: str = "Intune sync.") -> dict:
    return {"asset_id": asset_id, "school_id": school_id, "kind": kind, "actor_id": None, "changes": changes,
            "note": note, "created_at": now}


def _plain(value):
    return value.isoformat() if isinstance(value, datetime) else value
