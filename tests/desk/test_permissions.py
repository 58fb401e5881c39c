"""The desk's services check the acting person themselves, whoever calls them."""
import pytest

from services.desk import escalation, permissions
from services.desk.models import Ticket
from services.directory.models import User
from tests.conftest import data


def test_escalate_refuses_a_person_whose_roles_do_not_allow_it(app, make):
    oak, elm = make.school("oak"), make.school("elm")
    ticket = make.ticket(oak)
    elm_tech = make.user(role="technician", school=elm, password=None)
    director = make.user(role="it_director", password=None)
    technical = make.user(role="technical", password=None)
    with data(app) as s:
        row = s.get(Ticket, ticket.id)
        with pytest.raises(permissions.NotAllowed, match="does not include escalating"):
            escalation.escalate(row, by=s.get(User, elm_tech.id), to_tier=2, reason="Not my school")
        with pytest.raises(permissions.NotAllowed, match="tier 2 only"):
            escalation.escalate(row, by=s.get(User, technical.id), to_tier=3, reason="Skip a tier",
                                decision_kind="spend")
        escalation.escalate(row, by=s.get(User, director.id), to_tier=2, reason="For the trust's team")
        with pytest.raises(permissions.NotAllowed, match="decides escalated tickets rather than escalating"):
            escalation.escalate(row, by=s.get(User, director.id), to_tier=3, reason="To myself",
                                decision_kind="spend")
        with pytest.raises(permissions.NotAllowed, match="Only the IT director"):
            escalation.decide(row, by=s.get(User, technical.id), decision="approved", text="Yes")


def test_the_sweep_escalates_as_the_system_without_a_role(app, make):
    ticket = make.ticket(make.school("oak"))
    with data(app) as s:
        row = s.get(Ticket, ticket.id)
        escalation.escalate(row, by=None, to_tier=2, reason="Automatic: time ran out")
        escalation.escalate(row, by=None, to_tier=3, reason="Automatic: time ran out")
        assert row.tier == 3
