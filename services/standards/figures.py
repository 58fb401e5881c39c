"""A derived figure: what the platform's own records say about one school for one item."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Figure:
    """`value` is the percentage or the count the item is judged on; None when the school has nothing
    to judge (no devices of the kind, no resolved requests this term). `numerator` of `denominator`
    are the counts behind it, `detail` says so in words, and `failing_url_args` are the query
    arguments of the asset register list or the school's ticket queue that shows what fails."""
    value: float | None
    numerator: int = 0
    denominator: int = 0
    detail: str = ""
    failing_url_args: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        return {"numerator": self.numerator, "denominator": self.denominator, "detail": self.detail,
                "failing_url_args": dict(self.failing_url_args)}
