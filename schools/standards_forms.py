"""The form a school answers an item with: an attestation with evidence, a measured value, or not
applicable with a reason. Which of these an item offers depends on how it is checked."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DecimalField, RadioField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from services.desk.attachments import ALLOWED_WORDS, MAX_BYTES
from services.standards.checks import measures_of
from trust_it.central.helpers import attach_error

ATTESTATION = [("met", "Met"), ("partly_met", "Partly met"), ("not_met", "Not met"),
               ("not_applicable", "Does not apply to us")]
MEASURED = [("measured", "Record what was measured"), ("not_applicable", "Does not apply to us")]
COMPUTED = [("not_applicable", "Does not apply to us")]


class AnswerForm(FlaskForm):
    status = RadioField("Your answer", choices=ATTESTATION, validators=[DataRequired("Choose an answer.")])
    evidence = TextAreaField("What shows this", validators=[Optional(), Length(max=10000)],
                             description="For example: who checked, when, and where the record is kept.")
    attachment = FileField("Evidence file", validators=[Optional()],
                           description=f"Optional. One file of up to {MAX_BYTES // (1024 * 1024)} MB: {ALLOWED_WORDS}.")
    reason = TextAreaField("Why it does not apply", validators=[Optional(), Length(max=2000)],
                           description="Only when it does not apply to the school.")


def measure_label(measure: str, unit: str) -> str:
    words = measure.replace("_", " ").capitalize()
    return f"{words} ({unit})" if unit else words


def answer_form(item, **kwargs) -> AnswerForm:
    """The form with the answers this item takes (computed items take only "does not apply"); a
    measured item gets a number field per measure (download and upload for broadband)."""
    measures = measures_of(item) if item.check_kind == "measured" else []

    class ItemAnswerForm(AnswerForm):
        pass
    for measure in measures:
        setattr(ItemAnswerForm, f"measure_{measure}",
                DecimalField(measure_label(measure, item.unit), validators=[Optional()],
                             render_kw={"inputmode": "decimal"}))
    form = ItemAnswerForm(**kwargs)
    form.measures = {measure: form[f"measure_{measure}"] for measure in measures}
    if item.check_kind == "measured":
        form.status.choices = MEASURED
    elif item.check_kind == "attestation":
        form.status.choices = ATTESTATION
    else:
        form.status.choices = COMPUTED
    return form


def answer_data(form: AnswerForm) -> dict:
    """The form as services/standards/assessments.record takes an answer."""
    status = form.status.data
    data = {"status": "" if status == "measured" else status, "evidence": form.evidence.data or "",
            "reason": form.reason.data or ""}
    if form.measures:
        data["values"] = {m: float(f.data) for m, f in form.measures.items() if f.data is not None}
    return data


def place_error(form: AnswerForm, exc) -> None:
    """A measured value refused ("value"/"values") goes beside the first measure still empty (or the first)."""
    if exc.field in ("value", "values") and form.measures:
        fields = list(form.measures.values())
        target = next((f for f in fields if f.data is None), fields[0])
        target.errors = list(target.errors) + [exc.message]
        return
    attach_error(form, exc)
