"""Bar charts drawn on the server as SVG: no script, no inline style (the Content-Security-Policy
forbids both), and a text alternative that states every figure, so a screen reader hears what the
picture shows. Colours come from classes in app.css (with a forced-colours fallback).

The refresh forecast uses it; the board report and the dashboard can too: pass the bars, get markup.
"""
from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH, HEIGHT = 480, 240
TOP, BOTTOM, LEFT, RIGHT = 28, 44, 8, 8   # room for the value above a bar and the label under it


@dataclass(frozen=True)
class Bar:
    label: str          # under the bar, e.g. "2026–27"
    value: float        # its height
    text: str           # the figure as people read it, e.g. "£12,300 (42 devices)"


def bar_chart(bars: list[Bar], *, chart_id: str, title: str, summary: str = "") -> Markup:
    """A vertical bar chart as an accessible image: the SVG's title and description (which
    `aria-labelledby` names) say the title and each bar's label and figure in words."""
    chart_id = "".join(c for c in chart_id if c.isalnum() or c in "-_") or "chart"
    description = text_alternative(bars, summary)
    peak = max((b.value for b in bars), default=0) or 1
    slot = (WIDTH - LEFT - RIGHT) / max(len(bars), 1)
    bar_width = slot * 0.6
    plot = HEIGHT - TOP - BOTTOM
    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" focusable="false" '
             f'aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg">',
             f'<title id="{chart_id}-title">{escape(title)}</title>',
             f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
             f'<line class="chart-axis" x1="{LEFT}" y1="{TOP + plot}" x2="{WIDTH - RIGHT}" y2="{TOP + plot}"/>']
    for n, bar in enumerate(bars):
        height = max(bar.value, 0) / peak * plot
        x = LEFT + n * slot + (slot - bar_width) / 2
        middle = LEFT + n * slot + slot / 2
        parts.append(f'<rect class="chart-bar" x="{x:.1f}" y="{TOP + plot - height:.1f}" '
                     f'width="{bar_width:.1f}" height="{max(height, 0.5):.1f}"/>')
        parts.append(f'<text class="chart-value" x="{middle:.1f}" y="{TOP + plot - height - 8:.1f}" '
                     f'text-anchor="middle">{escape(_short(bar.text))}</text>')
        parts.append(f'<text class="chart-label" x="{middle:.1f}" y="{HEIGHT - BOTTOM / 2 + 4:.1f}" '
                     f'text-anchor="middle">{escape(bar.label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def text_alternative(bars: list[Bar], summary: str = "") -> str:
    """"2026–27: £12,300 (42 devices); 2027–28: …" — what the chart shows, in words."""
    figures = "; ".join(f"{b.label}: {b.text}" for b in bars) or "No figures."
    return f"{summary} {figures}".strip() if summary else figures


def _short(text: str) -> str:
    """Only the first figure fits above a bar; the description carries the rest."""
    return text.split(" (", 1)[0]
