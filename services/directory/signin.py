"""Microsoft 365 sign-in: which tenants may enter, and which memberships their claims grant."""
from __future__ import annotations

import re
import secrets

from sqlalchemy import select

from services.audit import log
from services.directory import people
from services.directory.errors import DirectoryError
from services.directory.models import EntraTenant, School, SignInRule, Trust, User
from trust_it.extensions import db
from trust_it.tenancy import ALL_ROLES, ROLE_LABELS, SCHOOL_ROLES, TRUST_ROLES

PERSONAL_ACCOUNT_TID = "9188040d-6c67-4c5b-b112-36a304b66dad"
# Roles that see or change everything: never granted to everyone with an address at a domain.
POWERFUL_ROLES = ("trust_admin", "it_director", "service_desk", "technical")
CLAIMS = {"app_role": "App role", "group": "Group (object id)", "email_domain": "Email domain"}
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class SignInRefused(Exception):
    """A Microsoft sign-in that must not proceed; the message is shown to the person."""


def trust_for_tenant(tid: str) -> Trust | None:
    row = db.session.execute(select(EntraTenant).where(EntraTenant.tenant_id == (tid or "").lower())).scalar()
    return row.trust if row else None


def record_refusal(reason: str, facts: dict, *, ip: str | None = None) -> int:
    """Keep a refused Microsoft sign-in where trust administrators will see it (the audit log).

    The trust is the one whose tenant the token names. When no trust has that tenant (another
    organisation, a personal account, a token that could not be read), it is recorded for every
    trust of the deployment: Microsoft sign-in is set up once for the whole deployment, so a
    wrong client id or an unlisted tenant concerns all of them, and usually there is one.
    Returns how many trusts it was recorded for.
    """
    trust = trust_for_tenant(facts.get("tenant_id") or "")
    trust_ids = [trust.id] if trust else list(db.session.execute(select(Trust.id).order_by(Trust.id)).scalars())
    who = facts.get("sign_in_name") or "someone whose sign-in name was not received"
    for trust_id in trust_ids:
        log.record("auth.sign_in_refused", f"Microsoft sign-in refused for {who}: {reason}", trust_id=trust_id,
                   ip=ip, detail={"reason": reason, **facts})
    return len(trust_ids)


def _email_of(claims: dict) -> str:
    """The sign-in name (UPN), which the tenant's administrators control. The optional `email`
    claim is not verified by Microsoft, so it never links accounts nor picks a school."""
    return people.normalise_email(claims.get("preferred_username") or "")


def _is_personal(claims: dict) -> bool:
    idp = (claims.get("idp") or "").lower()
    return (claims.get("tid") or "").lower() == PERSONAL_ACCOUNT_TID or "live.com" in idp or PERSONAL_ACCOUNT_TID in idp


def sign_in_microsoft(claims: dict) -> User:
    """Find or create the user for validated ID-token claims and refresh their mapped memberships."""
    tid, oid = (claims.get("tid") or "").lower(), claims.get("oid") or ""
    if _is_personal(claims):
        raise SignInRefused("Personal Microsoft accounts cannot sign in. Use your school or trust account.")
    trust = trust_for_tenant(tid)
    if trust is None:
        raise SignInRefused("Your organisation's Microsoft 365 tenant is not allowed to sign in here. "
                            "Ask your trust's IT team to add it.")
    user = db.session.execute(select(User).where(User.entra_tid == tid, User.entra_oid == oid)).scalar()
    email = _email_of(claims)
    if user is None and email:
        # An account invited by email before its first Microsoft sign-in is linked, once.
        invited = people.find_by_email(email)
        if invited is not None:
            # Only an invitation waiting for its first sign-in is linked: never an account that
            # already has a Microsoft identity or a local password (a break-glass admin).
            if invited.entra_oid or invited.password_hash or invited.trust_id != trust.id:
                raise SignInRefused("This email address already belongs to another account. "
                                    "Ask your trust's IT team to link it.")
            if not invited.active:
                raise SignInRefused("Your account has been deactivated. Contact your trust's IT team.")
            user = invited
            user.entra_tid, user.entra_oid = tid, oid
    if user is None:
        if not email:
            raise SignInRefused("Microsoft did not tell us your email address; ask IT to check the app's claims.")
        user = User(trust_id=trust.id, email=email, display_name=claims.get("name") or email,
                    entra_tid=tid, entra_oid=oid, session_token=secrets.token_hex(16), active=True)
        db.session.add(user)
        db.session.flush()
        log.record("user.created", f"Account created for {email} at first Microsoft sign-in",
                   trust_id=trust.id, actor=user, detail={"user_id": user.id, "tid": tid})
    if not user.active:
        raise SignInRefused("Your account has been deactivated. Contact your trust's IT team.")
    if claims.get("name") and user.display_name != claims["name"]:
        user.display_name = claims["name"]
    apply_rules(user, claims)
    return user


def mapped_memberships(trust_id: int, claims: dict) -> set[tuple[str, int | None]]:
    """(role, school_id or None) pairs the claims earn under the trust's rules."""
    email = _email_of(claims)
    domain = email.rsplit("@", 1)[-1] if "@" in email else ""
    roles, groups = set(claims.get("roles") or []), set(claims.get("groups") or [])
    schools = db.session.execute(select(School.id, School.email_domains).where(School.trust_id == trust_id)).all()
    domain_school = next((sid for sid, domains in schools if domain and domain in (domains or [])), None)
    wanted: set[tuple[str, int | None]] = set()
    for rule in db.session.execute(select(SignInRule).where(SignInRule.trust_id == trust_id)).scalars():
        hit = ((rule.claim == "app_role" and rule.value in roles)
               or (rule.claim == "group" and rule.value in groups)
               or (rule.claim == "email_domain" and rule.value == domain))
        if not hit:
            continue
        if rule.role in SCHOOL_ROLES and (rule.school_id or domain_school):
            wanted.add((rule.role, rule.school_id or domain_school))
        elif rule.role in TRUST_ROLES and rule.school_id is None:
            wanted.add((rule.role, None))
    return wanted


def apply_rules(user: User, claims: dict) -> None:
    """Make the user's Microsoft-derived memberships equal what the rules grant today."""
    wanted = mapped_memberships(user.trust_id, claims)
    have = {(m.role, m.school_id): m for m in user.memberships if m.source == "entra"}
    manual = {(m.role, m.school_id) for m in user.memberships if m.source == "manual" and m.is_current()}
    for key, membership in have.items():
        if key not in wanted:
            people.remove_membership(membership)
    for role, school_id in wanted - set(have) - manual:
        school = db.session.get(School, school_id) if school_id else None
        people.add_membership(user, role=role, school=school, source="entra")


def add_rule(trust: Trust, *, claim: str, value: str, role: str, school: School | None = None, by=None
             ) -> SignInRule:
    value = (value or "").strip()
    if claim not in CLAIMS:
        raise DirectoryError("Choose app role, group or email domain.", "claim")
    if not value:
        raise DirectoryError("Enter the value to match.", "value")
    if claim == "email_domain":
        value = value.lower().lstrip("@")
    if role not in ALL_ROLES:
        raise DirectoryError("Choose a role.", "role")
    if role not in SCHOOL_ROLES and school is not None:
        raise DirectoryError(f"{ROLE_LABELS[role]} is a trust-wide role: leave the school empty.", "school")
    if claim == "group" and not GUID.match(value.lower()):
        raise DirectoryError("Entra sends groups as object ids: a GUID like 0f1e2d3c-….", "value")
    if claim == "email_domain" and role in POWERFUL_ROLES:
        raise DirectoryError(f"Give {ROLE_LABELS[role]} by app role or group, never to a whole email domain.",
                             "role")
    if role in SCHOOL_ROLES and role not in TRUST_ROLES and school is None:
        domains = {d for ds in db.session.execute(select(School.email_domains).where(
            School.trust_id == trust.id)).scalars() for d in (ds or [])}
        if claim == "email_domain" and value not in domains:
            raise DirectoryError(f"No school of the trust has the email domain {value}: choose the school, "
                                 "or add the domain to a school first.", "school")
    exists = db.session.execute(select(SignInRule).where(
        SignInRule.trust_id == trust.id, SignInRule.claim == claim, SignInRule.value == value,
        SignInRule.role == role, SignInRule.school_id == (school.id if school else None))).scalar()
    if exists:
        raise DirectoryError("That rule already exists.", "value")
    rule = SignInRule(trust_id=trust.id, claim=claim, value=value, role=role, school_id=school.id if school else None)
    db.session.add(rule)
    db.session.flush()
    log.record("signin.rule_added", f"Sign-in rule: {CLAIMS[claim]} “{value}” → {ROLE_LABELS[role]}"
               f"{' at ' + school.name if school else ''}", actor=by, trust_id=trust.id, school=school)
    return rule


def remove_rule(rule: SignInRule, *, by=None) -> None:
    log.record("signin.rule_removed", f"Sign-in rule removed: {CLAIMS[rule.claim]} “{rule.value}” → "
               f"{ROLE_LABELS[rule.role]}", actor=by, trust_id=rule.trust_id)
    db.session.delete(rule)
    db.session.flush()


def add_tenant(trust: Trust, tenant_id: str, *, label: str | None = None, by=None) -> EntraTenant:
    tenant_id = (tenant_id or "").strip().lower()
    if not GUID.match(tenant_id):
        raise DirectoryError("A tenant id is a GUID like 72f988bf-86f1-41af-91ab-2d7cd011db47.", "tenant_id")
    if tenant_id == PERSONAL_ACCOUNT_TID:
        raise DirectoryError("That is the tenant of personal Microsoft accounts, which may not sign in.",
                             "tenant_id")
    if db.session.execute(select(EntraTenant).where(EntraTenant.tenant_id == tenant_id)).scalar():
        raise DirectoryError("That tenant is already allowed.", "tenant_id")
    tenant = EntraTenant(trust_id=trust.id, tenant_id=tenant_id, label=(label or "").strip() or None)
    db.session.add(tenant)
    db.session.flush()
    log.record("signin.tenant_added", f"Microsoft tenant {tenant_id} allowed to sign in", actor=by,
               trust_id=trust.id)
    return tenant


def remove_tenant(tenant: EntraTenant, *, by=None) -> None:
    log.record("signin.tenant_removed", f"Microsoft tenant {tenant.tenant_id} no longer allowed", actor=by,
               trust_id=tenant.trust_id)
    db.session.delete(tenant)
    db.session.flush()


def rules_of(trust_id: int) -> list[SignInRule]:
    return list(db.session.execute(select(SignInRule).where(SignInRule.trust_id == trust_id)
                                   .order_by(SignInRule.claim, SignInRule.value)).scalars())
