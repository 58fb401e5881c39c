"""The form a school answers an item with: an attestation with evidence, a measured value, or not
applicable with a reason. Which of these an item offers depends on how it is checked."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DecimalField, RadioField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from services.desk.attachments import ALLOWED_WORDS, MAX_BYTES

ATTESTATION = [("met", "Met"), ("partly_met", "Partly met"), ("not_met", "Not met"),
               ("not_applicable", "Does not apply to us")]
MEASURED = [("measured", "Record the measured value"), ("not_applicable", "Does not apply to us")]
COMPUTED = [("not_applicable", "Does not apply to us")]


class AnswerForm(FlaskForm):
    status = RadioField("Your answer", choices=ATTESTATION, validators=[DataRequired("Choose an answer.")])
    value = DecimalField("Measured value", validators=[Optional()], render_kw={"inputmode": "decimal"})
    evidence = TextAreaField("What shows this", validators=[Optional(), Length(max=10000)],
                             description="For example: who checked, when, and where the record is kept.")
    attachment = FileField("Evidence file", validators=[Optional()],
                           description=f"Optional. One file of up to {MAX_BYTES // (1024 * 1024)} MB: {ALLOWED_WORDS}.")
    reason = TextAreaField("Why it does not apply", validators=[Optional(), Length(max=2000)],
                           description="Only when it does not apply to the school.")


def answer_form(item, **kwargs) -> AnswerForm:
    """The form with the answers this item takes (computed items take only "does not apply")."""
    form = AnswerForm(**kwargs)
    if item.check_kind == "measured":
        form.status.choices = MEASURED
        form.value.label.text = f"Measured value ({item.unit})" if item.unit else "Measured value"
    elif item.check_kind == "attestation":
        form.status.choices = ATTESTATION
    else:
        form.status.choices = COMPUTED
    return form


def answer_data(form: AnswerForm) -> dict:
    """The form as services/standards/assessments.record takes an answer."""
    status = form.status.data
    return {"status": "" if status == "measured" else status,
            "value": float(form.value.data) if form.value.data is not None else None,
            "evidence": form.evidence.data or "", "reason": form.reason.data or ""}
