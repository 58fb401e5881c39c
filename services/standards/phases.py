"""A school's GIAS phase as the standards tell phases apart (models.PHASES).

Broadband, for one, asks 100 Mbps of a primary and 1 Gbps of a secondary, all-through or post-16
setting. Special schools have no phase of their own in GIAS ("Not applicable").
"""
from __future__ import annotations

GIAS_TO_STANDARD = {
    "Nursery": "primary",
    "Primary": "primary",
    "Middle deemed primary": "primary",
    "Middle deemed secondary": "secondary",
    "Secondary": "secondary",
    "All-through": "all_through",
    "16 plus": "post_16",
    "Not applicable": "special",
}


def phase_key(gias_phase: str | None) -> str:
    return GIAS_TO_STANDARD.get(gias_phase or "", "special")


def phase_of(school) -> str:
    return phase_key(school.phase)
