"""How a figure or a measured value becomes a status: the contract between the derived checks
(services/standards/derived.py, keyed by `StandardItem.check_key`) and conformance.

`compute_all(session, keys, school_ids, now) -> {key: {school_id: Figure}}` in derived.py computes
the figures; `evaluate(item, figure)` and `evaluate_measured(item, phase, values)` turn them into one
of met, partly met, not met or unknown. Partly met is a band next to the threshold: `partly` (the
item's `partly_threshold`, or a phase's "partly") when the item gives one, otherwise
`default_partly()` — 90 % of an "at least" threshold, or one more than an "at most" one.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from services.standards.errors import StandardsError


@dataclass(frozen=True)
class Figure:
    """A computed fact about one school: e.g. 47 of 50 devices on a supported OS → value 94.0.

    `denominator` 0 means there was nothing to count (no devices, no requests this term): the status
    is unknown, not met. `failing_url_args` are query arguments of the list that shows the failing
    devices or tickets (e.g. {"os_support": "unsupported"}), for a link beside the figure."""
    value: float | None
    numerator: int = 0
    denominator: int = 0
    detail: str = ""
    failing_url_args: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        return {"numerator": self.numerator, "denominator": self.denominator, "detail": self.detail,
                "failing_url_args": dict(self.failing_url_args)}


def default_partly(comparison: str, threshold: float) -> float | None:
    if comparison == "at_least":
        return threshold * 0.9
    if comparison == "at_most":
        return threshold * 1.1 if threshold else 1.0
    return None  # "equals": either it is or it is not


def compare(value: float, comparison: str, threshold: float, partly: float | None = None) -> str:
    """met / partly_met / not_met for a value against a threshold (and the band before it)."""
    if partly is None:
        partly = default_partly(comparison, threshold)
    if comparison == "at_least":
        if value >= threshold:
            return "met"
        return "partly_met" if partly is not None and value >= partly else "not_met"
    if comparison == "at_most":
        if value <= threshold:
            return "met"
        return "partly_met" if partly is not None and value <= partly else "not_met"
    if comparison == "equals":
        return "met" if value == threshold else "not_met"
    raise StandardsError(f"Unknown comparison “{comparison}”.", "comparison")


def evaluate(item, figure: Figure | None) -> str:
    """The status of a derived (or setting) item from its figure: unknown when there is nothing to count."""
    if figure is None or figure.denominator == 0 or figure.value is None:
        return "unknown"
    return compare(figure.value, item.comparison or "at_least",
                   item.threshold if item.threshold is not None else 100.0, item.partly_threshold)


def threshold_for(item, phase: str) -> dict | None:
    """The measured item's rules for a phase, {measure: {"comparison", "threshold", "partly"}}
    (e.g. {"download": …, "upload": …}), or its default ones."""
    thresholds = item.thresholds or {}
    return thresholds.get(phase) or thresholds.get("default")


def measures_of(item) -> list[str]:
    """Every measure any phase of the item asks for, in the order first given (e.g. download, upload)."""
    seen: dict[str, None] = {}
    for rules in (item.thresholds or {}).values():
        seen.update(dict.fromkeys(rules))
    return list(seen)


WORST_FIRST = ("not_met", "partly_met", "met")


def evaluate_measured(item, phase: str, values: dict) -> str:
    """The status of measured values ({measure: value}) for a school of `phase` (a key of
    models.PHASES): the worst of the measures, so 150 Mbps down but 10 up is not met for a primary."""
    rules = threshold_for(item, phase)
    if not rules:
        raise StandardsError("This item has no threshold for this school's phase.", "values")
    statuses = set()
    for measure, rule in rules.items():
        if values.get(measure) is None:
            raise StandardsError(f"Give the {measure.replace('_', ' ')} value.", "values")
        statuses.add(compare(float(values[measure]), rule.get("comparison", "at_least"), float(rule["threshold"]),
                             rule.get("partly")))
    return next(status for status in WORST_FIRST if status in statuses)


# The checks services/standards/derived.py computes, by `StandardItem.check_key`.
DERIVED_KEYS = {
    "assets.supported_os_share": "% of end-user devices on a supported operating system",
    "assets.network_kit_in_warranty": "Switches, firewalls and access points out of warranty",
    "intune.encrypted_share": "% of Windows devices encrypted",
    "intune.unseen_90_days": "Devices not seen for 90 days",
    "desk.resolved_within_target_share": "% of this term's requests resolved within target",
    "desk.escalations_answered_share": "% of this term's escalations answered within target",
    "desk.guidance_given": "Guidance articles and training sessions this term",
}
