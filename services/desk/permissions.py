"""Who may do what on the service desk: the one place its rules live.

Pages, the API and the services ask these functions; none keeps a role list of its own.
Visibility (which schools) is the tenancy guard's job and comes first: these rules are about
roles at a school the person can already see. School roles count at their school, trust
roles at every school of the trust (`Scope.roles_at` merges them).

Support tiers: 1 the school's IT people, 2 the trust's service desk and technical team,
3 the IT director, who decides what is escalated to them.
"""
from __future__ import annotations

from services import errors
from services.desk.errors import DeskError
from services.desk.models import TIERS, Ticket
from trust_it.tenancy import Scope

# People who work tickets: the school's IT people (tier 1) and the trust's team (tiers 2 and 3).
WORKERS = ("technician", "msp_engineer", "edtech", "service_desk", "technical", "it_director")
TRUST_TIER = ("service_desk", "technical", "it_director")
# Who asks the IT director for a decision: the trust's team, never the director themself.
ASKERS = ("service_desk", "technical")
# School leads read every ticket of their school; they do not work them.
READERS = WORKERS + ("school_lead",)
# Anyone with a role at the school raises requests, except trustees (board reports reach them).
RAISERS = ("staff",) + READERS + ("trust_admin",)
DECIDERS = ("it_director",)

# Guidance: trust-wide articles need a trust role; a school's, one of these at the school.
TRUST_EDITORS = ("edtech", "service_desk", "technical", "it_director", "trust_admin")
SCHOOL_EDITORS = ("edtech", "technician", "school_lead")
ARTICLE_EDITORS = tuple(sorted(set(SCHOOL_EDITORS) | set(TRUST_EDITORS)))
# Training sessions: educational technologists and leads record them; the IT team reads them.
TRAINING_EDITORS = ("edtech", "school_lead", "it_director")
TRAINING_READERS = TRAINING_EDITORS + ("technician", "msp_engineer", "service_desk", "technical", "trust_admin")
# Visits: the people who work on IT see them; those who go (or send someone) plan them.
VISIT_READERS = ("technician", "msp_engineer", "school_lead", "service_desk", "technical", "it_director",
                 "trust_admin")
VISIT_PLANNERS = ("technician", "msp_engineer", "service_desk", "technical", "it_director")
VISIT_ENGINEERS = ("technician", "msp_engineer", "service_desk", "technical")


class NotAllowed(DeskError, errors.NotAllowed):
    """The person's role does not allow a desk action: a 403, not a form to correct."""


def sees_no_tickets(scope: Scope) -> bool:
    """Trustees (and only trustees) reach the desk through board reports, never its tickets."""
    roles = scope.all_roles
    return "trustee" in roles and roles <= {"trustee"}


def _has(scope: Scope, school_id: int | None, roles: tuple[str, ...]) -> bool:
    return bool(scope.roles_at(school_id).intersection(roles))


def is_requester(scope: Scope, ticket: Ticket) -> bool:
    return ticket.requester_id is not None and ticket.requester_id == scope.user_id


def _own_request(scope: Scope, ticket: Ticket) -> bool:
    """The person raised it and may still raise requests at that school (a trustee never may)."""
    return is_requester(scope, ticket) and _has(scope, ticket.school_id, RAISERS)


# --- tickets -------------------------------------------------------------------------------

def may_raise(scope: Scope, school_id: int) -> bool:
    return _has(scope, school_id, RAISERS)


def may_raise_for_others(scope: Scope, school_id: int) -> bool:
    """Raising a request on someone's behalf (a phone call, a walk-up) is the IT team's."""
    return _has(scope, school_id, WORKERS)


def may_read_all(scope: Scope, school_id: int) -> bool:
    """Every ticket of the school, internal notes included."""
    return _has(scope, school_id, READERS)


def may_read(scope: Scope, ticket: Ticket) -> bool:
    """The IT team and school leads read the school's tickets; anyone else only their own."""
    return may_read_all(scope, ticket.school_id) or _own_request(scope, ticket)


def may_work_at(scope: Scope, school_id: int) -> bool:
    return _has(scope, school_id, WORKERS)


def may_work(scope: Scope, ticket: Ticket) -> bool:
    """Change status, priority and classification, write internal notes, answer with guidance."""
    return may_work_at(scope, ticket.school_id)


def may_reply(scope: Scope, ticket: Ticket) -> bool:
    return may_work(scope, ticket) or _own_request(scope, ticket)


def may_assign(scope: Scope, ticket: Ticket) -> bool:
    """A ticket with the trust's team is theirs to assign; the school keeps seeing it."""
    if not may_work(scope, ticket):
        return False
    return ticket.tier == 1 or _has(scope, ticket.school_id, TRUST_TIER)


def check_assign(scope: Scope, ticket: Ticket) -> None:
    """Refuse assigning a ticket of another tier, saying whose it is (the form shows it by the field)."""
    if may_work(scope, ticket) and not may_assign(scope, ticket):
        raise DeskError(f"{ticket.reference} is with the {TIERS[ticket.tier]}: they assign it.", "assignee_id")
    if not may_assign(scope, ticket):
        raise NotAllowed("Only the IT team can change a ticket.", "assignee_id")


def escalation_target(scope: Scope, ticket: Ticket) -> int | None:
    """The tier this person may pass an open ticket to, one tier up: anyone who works tickets
    sends a school's ticket to the trust's team; the trust's service desk and technical team ask
    the IT director for a decision (the director decides rather than escalates)."""
    if not ticket.is_open:
        return None
    if ticket.tier == 1 and _has(scope, ticket.school_id, WORKERS):
        return 2
    if ticket.tier == 2 and _has(scope, ticket.school_id, ASKERS):
        return 3
    return None


def check_escalate(scope: Scope, ticket: Ticket, tier: int) -> None:
    target = escalation_target(scope, ticket)
    if target == tier:
        return
    if target is None and ticket.tier >= 2 and _has(scope, ticket.school_id, DECIDERS):
        raise NotAllowed("The IT director decides escalated tickets rather than escalating them.", "to_tier")
    if target is None:
        raise NotAllowed("Your role does not include escalating this ticket.", "to_tier")
    raise NotAllowed(f"You can escalate this ticket to tier {target} only: one tier at a time.", "to_tier")


def may_hand_back(scope: Scope, ticket: Ticket) -> bool:
    return ticket.tier > 1 and _has(scope, ticket.school_id, TRUST_TIER)


def may_decide(scope: Scope, ticket: Ticket) -> bool:
    return _has(scope, ticket.school_id, DECIDERS)


def may_confirm_or_reopen(scope: Scope, ticket: Ticket) -> bool:
    """The requester says whether it is fixed; the IT team reopens by changing the status."""
    return _own_request(scope, ticket)


# --- guidance, training, visits ------------------------------------------------------------

def may_edit_article(scope: Scope, article_school_id: int | None) -> bool:
    """Trust-wide articles belong to the trust's team; a school's to its own editors (or the trust's)."""
    if scope.has_trust_role(*TRUST_EDITORS):
        return True
    if article_school_id is None:
        return False
    return _has(scope, article_school_id, SCHOOL_EDITORS)


def may_read_training(scope: Scope, school_id: int) -> bool:
    return _has(scope, school_id, TRAINING_READERS)


def may_record_training(scope: Scope, school_id: int) -> bool:
    return _has(scope, school_id, TRAINING_EDITORS)


def may_read_visits(scope: Scope, school_id: int) -> bool:
    return _has(scope, school_id, VISIT_READERS)


def may_plan_visits(scope: Scope, school_id: int) -> bool:
    return _has(scope, school_id, VISIT_PLANNERS)
