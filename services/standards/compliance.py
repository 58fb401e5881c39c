"""Scorecards: how far each school, and the trust, meets what it is held to (read from conformance).

Two grouped queries whatever the number of schools: every status, and the core-for-2030 items.
"""
from __future__ import annotations

from collections import Counter

from services.standards.conformance import share_met, summary


def _core(counts: Counter) -> tuple[int, int]:
    applicable = sum(n for status, n in counts.items() if status != "not_applicable")
    return counts.get("met", 0), applicable


def scorecards(schools, *, baseline_id: int | None = None) -> list[dict]:
    """One card per school (in the order given): items per status, % met, core-2030 items met."""
    ids = [s.id for s in schools]
    everything = summary(ids, baseline_id=baseline_id)
    core = summary(ids, baseline_id=baseline_id, core_only=True)
    cards = []
    for school in schools:
        counts = everything.get(school.id, Counter())
        core_met, core_applicable = _core(core.get(school.id, Counter()))
        cards.append({"school_id": school.id, "school": school.name, "counts": dict(counts),
                      "share_met": share_met(counts), "core_2030_met": core_met,
                      "core_2030_applicable": core_applicable})
    return cards


def trust_totals(school_ids, *, baseline_id: int | None = None) -> dict:
    """The trust at a glance: items per status over every school, % met, progress to the 2030 core."""
    everything = summary(school_ids, baseline_id=baseline_id)
    core = summary(school_ids, baseline_id=baseline_id, core_only=True)
    counts = sum(everything.values(), Counter())
    core_counts = [_core(c) for c in core.values()]
    return {"schools": len(list(school_ids)), "counts": dict(counts), "share_met": share_met(counts),
            "core_2030_met": sum(m for m, _ in core_counts),
            "core_2030_applicable": sum(a for _, a in core_counts),
            "schools_meeting_core_2030": sum(1 for m, a in core_counts if a and m == a)}
