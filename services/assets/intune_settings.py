"""The trust's Intune sync settings: which of its tenants are synced, and the rules that place new devices."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from services.assets.errors import AssetError
from services.assets.models import SYNC_RULE_KINDS, SyncMapping, SyncTenant
from services.audit import log
from services.directory.models import EntraTenant, School, Trust
from trust_it.extensions import db

# --- tenants ----------------------------------------------------------------------------------

def tenants_of(trust: Trust) -> list[tuple[EntraTenant, bool]]:
    """The trust's sign-in tenants, each with whether its devices are synced."""
    synced = set(db.session.execute(select(SyncTenant.entra_tenant_id)
                                    .where(SyncTenant.trust_id == trust.id)).scalars())
    return [(t, t.id in synced) for t in trust.tenants]


def set_synced(trust: Trust, tenant: EntraTenant, synced: bool, *, by=None) -> None:
    if tenant.trust_id != trust.id:
        raise AssetError("That tenant is not one of the trust's.", "tenant")
    row = db.session.execute(select(SyncTenant).where(SyncTenant.entra_tenant_id == tenant.id)).scalar()
    if synced and row is None:
        db.session.add(SyncTenant(trust_id=trust.id, entra_tenant_id=tenant.id))
        log.record("assets.sync_tenant_added", f"Intune devices of tenant {tenant.tenant_id} are synced",
                   actor=by, trust_id=trust.id)
    elif not synced and row is not None:
        db.session.delete(row)
        log.record("assets.sync_tenant_removed", f"Intune devices of tenant {tenant.tenant_id} are no longer synced",
                   actor=by, trust_id=trust.id)
    db.session.flush()


def synced_tenant(trust: Trust, tenant_row_id: int) -> SyncTenant | None:
    return db.session.execute(select(SyncTenant).options(joinedload(SyncTenant.entra_tenant)).where(
        SyncTenant.trust_id == trust.id, SyncTenant.entra_tenant_id == tenant_row_id)).scalar()


# --- mapping rules ----------------------------------------------------------------------------

def rules_of(trust_id: int) -> list[SyncMapping]:
    return list(db.session.execute(select(SyncMapping).options(selectinload(SyncMapping.school))
                                   .where(SyncMapping.trust_id == trust_id)
                                   .order_by(SyncMapping.position, SyncMapping.id)).scalars())


def add_rule(trust: Trust, *, kind: str, value: str = "", school: School | None = None, by=None) -> SyncMapping:
    """A rule tried after the existing ones."""
    value = (value or "").strip()
    if kind not in SYNC_RULE_KINDS:
        raise AssetError("Choose what the rule matches.", "kind")
    if kind == "user_school":
        value, school = "", None
    else:
        if not value:
            raise AssetError("Enter the group's object id or name." if kind == "group"
                             else "Enter the start of the device names, e.g. OAK-.", "value")
        if len(value) > 200:
            raise AssetError("Keep it to 200 characters.", "value")
        if school is None or school.trust_id != trust.id:
            raise AssetError("Choose the school these devices belong to.", "school")
    position = (db.session.execute(select(func.max(SyncMapping.position))
                                   .where(SyncMapping.trust_id == trust.id)).scalar() or 0) + 1
    rule = SyncMapping(trust_id=trust.id, position=position, kind=kind, value=value,
                       school_id=school.id if school else None)
    db.session.add(rule)
    where = f" → {school.name}" if school else ""
    log.record("assets.sync_rule_added", f"Intune rule added: {SYNC_RULE_KINDS[kind]} {value}{where}".strip(),
               actor=by, trust_id=trust.id)
    db.session.flush()
    return rule


def remove_rule(rule: SyncMapping, *, by=None) -> None:
    log.record("assets.sync_rule_removed", f"Intune rule removed: {rule.kind_label} {rule.value}".strip(),
               actor=by, trust_id=rule.trust_id)
    db.session.delete(rule)
    db.session.flush()


def move_rule_up(rule: SyncMapping) -> None:
    """Swap with the rule tried just before it."""
    rules = rules_of(rule.trust_id)
    at = next(i for i, r in enumerate(rules) if r.id == rule.id)
    if at == 0:
        return
    for position, r in enumerate(rules[:at - 1] + [rule, rules[at - 1]] + rules[at + 1:], start=1):
        r.position = position
    db.session.flush()
