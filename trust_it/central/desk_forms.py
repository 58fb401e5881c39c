"""Forms of the trust's desk pages, and how SLA targets are typed.

Targets are working time. People read "4:00" as four hours and "2 days" as two school days,
so that is what the inputs show and accept; a bare number ("4") is refused rather than
guessed, because four minutes and four hours are both plausible and very different.
"""
from __future__ import annotations

import re

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from services.desk.clock import SCHOOL_DAY_MINUTES
from services.desk.models import DECISIONS
from services.desk.settings import DESCRIPTION_MAX, NAME_MAX, PRIORITIES

PRIORITY_LABELS = {1: "P1 · critical", 2: "P2 · high", 3: "P3 · medium", 4: "P4 · low"}
TARGET_HINT = ("Working time while the school is open: hours and minutes such as 0:30 or 4:00, "
               f"or school days such as 2 days (a school day is {SCHOOL_DAY_MINUTES // 60}:"
               f"{SCHOOL_DAY_MINUTES % 60:02d} of support time).")

_CLOCK = re.compile(r"^(\d{1,4}):([0-5]\d)$")
_PARTS = re.compile(r"(\d+(?:\.\d+)?)\s*(school days?|days?|d|hours?|hrs?|h|minutes?|mins?|m)\b")


def parse_working_time(text: str | None) -> int | None:
    """Minutes from "0:30", "4:00", "2 days", "1h 30m", "90 min"; None when blank. ValueError says why not."""
    text = (text or "").strip().lower()
    if not text:
        return None
    match = _CLOCK.match(text)
    if match:
        return int(match.group(1)) * 60 + int(match.group(2))
    parts = _PARTS.findall(text)
    if not parts or _PARTS.sub("", text).strip(" ,and"):
        if re.fullmatch(r"\d+", text):
            raise ValueError(f"Write {text}:00 for {text} hours or 0:{int(text):02d} for {text} minutes.")
        raise ValueError("Write hours and minutes such as 4:00, or school days such as 2 days.")
    total = 0.0
    for number, unit in parts:
        scale = SCHOOL_DAY_MINUTES if unit[0] in "sd" else 60 if unit[0] == "h" else 1
        total += float(number) * scale
    return round(total)


def format_working_time(minutes: int | None) -> str:
    """What an input shows: "2 days" for whole school days, otherwise hours:minutes."""
    if minutes is None:
        return ""
    if minutes >= SCHOOL_DAY_MINUTES and minutes % SCHOOL_DAY_MINUTES == 0:
        days = minutes // SCHOOL_DAY_MINUTES
        return f"{days} day{'s' if days != 1 else ''}"
    return f"{minutes // 60}:{minutes % 60:02d}"


class DecisionForm(FlaskForm):
    # The service checks the choice and the text, so the rule and its wording live in one place.
    decision = RadioField("Decision", choices=list(DECISIONS.items()), validate_choice=False)
    text = TextAreaField("What was decided, and why", description="The technical team and the school see this.")


class CategoryForm(FlaskForm):
    name = StringField("Category name", validators=[Length(max=NAME_MAX)])


class ServiceForm(FlaskForm):
    name = StringField("Service name", validators=[Length(max=NAME_MAX)])
    description = TextAreaField("What it covers", validators=[Optional(), Length(max=DESCRIPTION_MAX)],
                                description="One line staff recognise, e.g. “Projectors, panels and speakers”.")
    owner_id = SelectField("Owner", choices=[], validate_choice=False,
                           description="Someone in the trust's central team who answers for this service.")


class TargetsForm(FlaskForm):
    """Response and resolution per priority: p1_response, p1_resolution, … p4_resolution."""


for _p in PRIORITIES:
    setattr(TargetsForm, f"p{_p}_response", StringField(f"P{_p} first response"))
    setattr(TargetsForm, f"p{_p}_resolution", StringField(f"P{_p} resolution"))


def read_targets(form: TargetsForm, *, blank_means_trust: bool) -> dict[int, tuple[int, int] | None] | None:
    """The typed targets by priority, or None after putting every problem beside its field.

    For a school, a priority left blank means "use the trust's target" (None); the trust's
    own targets must all be filled in.
    """
    targets, ok = {}, True
    for p in PRIORITIES:
        fields = form[f"p{p}_response"], form[f"p{p}_resolution"]
        values, readable = [], True
        for field in fields:
            try:
                values.append(parse_working_time(field.data))
            except ValueError as exc:
                field.errors = [*field.errors, str(exc)]
                readable = False
        if not readable:
            ok = False
        elif values == [None, None] and blank_means_trust:
            targets[p] = None
        elif None in values:
            field = fields[values.index(None)]
            what = "first response" if field is fields[0] else "resolution"
            field.errors = [*field.errors, f"Enter the P{p} {what} target"
                            + (" too, or leave both empty to use the trust's." if blank_means_trust else ".")]
            ok = False
        else:
            targets[p] = (values[0], values[1])
    return targets if ok else None


def fill_targets(form: TargetsForm, targets: dict[int, tuple[int, int]]) -> None:
    for p, (response, resolution) in targets.items():
        form[f"p{p}_response"].data = format_working_time(response)
        form[f"p{p}_resolution"].data = format_working_time(resolution)
