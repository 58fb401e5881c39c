"""Forms of the baselines' pages: an item of a draft, and publishing the draft.

Thresholds and settings are typed one per line, in words people can read back (the rules they must
follow are services/standards/baselines.py's `clean_item`, whose errors land beside these fields).
"""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DecimalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from services.standards.checks import DERIVED_KEYS
from services.standards.errors import StandardsError
from services.standards.models import CHECK_KINDS, COMPARISONS, PHASES, SEVERITIES


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ItemForm(FlaskForm):
    code = StringField("Code", validators=[DataRequired("Give the item a short code."), Length(max=40)],
                       description="Unique in the baseline, e.g. DFE-BROADBAND.")
    title = StringField("Title", validators=[DataRequired("Give the item a title."), Length(max=200)])
    requirement = TextAreaField("What is asked", validators=[Optional()])
    good_looks_like = TextAreaField("What good looks like", validators=[Optional()])
    how_to_meet = TextAreaField("How to meet it", validators=[Optional()],
                                description="Shown to a school as its next steps when the item is not met.")
    severity = SelectField("Severity", choices=list(SEVERITIES.items()), default="medium")
    phases = CheckboxesField("Phases it applies to", choices=list(PHASES.items()), validators=[Optional()],
                             description="None ticked: every phase.")
    core_2030 = BooleanField("A core standard for 2030")
    check_kind = SelectField("How it is checked", choices=list(CHECK_KINDS.items()), default="attestation")
    review_days = IntegerField("Review every (days)", validators=[Optional(), NumberRange(min=1)],
                               description="How long evidence stays valid; needed when a person confirms it.")
    unit = StringField("Unit", validators=[Optional(), Length(max=20)], description="For a measured value, e.g. Mbps.")
    thresholds = TextAreaField(
        "Thresholds per phase", validators=[Optional()],
        description="For measured values, one line per phase (or “default”) and measure: "
                    "“primary download at_least 100 partly 80”. Comparisons: " + ", ".join(COMPARISONS) + ".")
    check_key = SelectField("Computed check", choices=[("", "— none —")] + list(DERIVED_KEYS.items()),
                            validators=[Optional()])
    comparison = SelectField("Comparison", choices=[("", "— none —")] + list(COMPARISONS.items()),
                             validators=[Optional()])
    threshold = DecimalField("Threshold", validators=[Optional()], render_kw={"inputmode": "decimal"})
    partly_threshold = DecimalField("Partly met from", validators=[Optional()], render_kw={"inputmode": "decimal"})
    settings = TextAreaField("Device settings", validators=[Optional()],
                             description="For Intune settings, one per line: “encrypted = true”.")


class PublishForm(FlaskForm):
    note = TextAreaField("What changed", validators=[Optional(), Length(max=2000)],
                         description="Schools and the trust see this beside the version.")


def _value(text: str):
    lowered = text.strip().lower()
    if lowered in ("true", "yes"):
        return True
    if lowered in ("false", "no"):
        return False
    try:
        return float(text) if "." in text else int(text)
    except ValueError:
        return text.strip()


def parse_thresholds(text: str) -> dict:
    """"primary download at_least 100 partly 80" per line →
    {"primary": {"download": {"comparison", "threshold", "partly"}}}."""
    rules: dict[str, dict] = {}
    for line in (text or "").splitlines():
        words = line.replace(":", " ").split()
        if not words:
            continue
        if len(words) not in (4, 6) or (len(words) == 6 and words[4] != "partly"):
            raise StandardsError(f"Write “phase measure comparison threshold [partly N]”, not “{line.strip()}”.",
                                 "thresholds")
        rule = {"comparison": words[2], "threshold": words[3]}
        if len(words) == 6:
            rule["partly"] = words[5]
        rules.setdefault(words[0], {})[words[1]] = rule
    return rules


def thresholds_text(thresholds: dict) -> str:
    return "\n".join(f"{phase} {measure} {rule['comparison']} {rule['threshold']:g}"
                     + (f" partly {rule['partly']:g}" if rule.get("partly") is not None else "")
                     for phase, measures in (thresholds or {}).items() for measure, rule in measures.items())


def parse_settings(text: str) -> list[dict]:
    settings = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        if "=" not in line:
            raise StandardsError(f"Write “key = expected value”, not “{line.strip()}”.", "settings")
        key, expected = line.split("=", 1)
        settings.append({"key": key.strip(), "expected": _value(expected)})
    return settings


def settings_text(settings: list) -> str:
    return "\n".join(f"{s['key']} = {str(s['expected']).lower() if isinstance(s['expected'], bool) else s['expected']}"
                     for s in settings or [])


def item_data(form: ItemForm) -> dict:
    """The form as services/standards/baselines.py takes an item (StandardsError names a field)."""
    def number(field):
        return float(field.data) if field.data is not None else None
    return {"code": form.code.data, "title": form.title.data, "requirement": form.requirement.data,
            "good_looks_like": form.good_looks_like.data, "how_to_meet": form.how_to_meet.data,
            "severity": form.severity.data, "phases": list(form.phases.data or []),
            "core_2030": form.core_2030.data, "check_kind": form.check_kind.data,
            "review_days": form.review_days.data, "unit": form.unit.data or "",
            "thresholds": parse_thresholds(form.thresholds.data), "check_key": form.check_key.data or None,
            "comparison": form.comparison.data or None, "threshold": number(form.threshold),
            "partly_threshold": number(form.partly_threshold), "settings": parse_settings(form.settings.data)}


def fill(form: ItemForm, item) -> None:
    """Show an item's text fields in the form as people type them."""
    form.thresholds.data = thresholds_text(item.thresholds)
    form.settings.data = settings_text(item.settings)
    form.check_key.data = item.check_key or ""
    form.comparison.data = item.comparison or ""


class BaselineForm(FlaskForm):
    """A trust's own baseline, e.g. "Standard staff laptop build v3"; its items are added to the draft."""
    code = StringField("Code", validators=[DataRequired("Give the baseline a short code."), Length(max=40)],
                       description="Unique in the trust, e.g. LAPTOP-BUILD.")
    title = StringField("Title", validators=[DataRequired("Give the baseline a title."), Length(max=200)])
    description = TextAreaField("What it is for", validators=[Optional()])
