"""Forms of the school's service-desk pages: raise a request, work a ticket, bulk-assign the queue."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, MultipleFileField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from services.desk.attachments import MAX_BYTES, MAX_FILES
from services.desk.escalation import DECISION_KINDS
from services.desk.models import IMPACTS, KINDS, URGENCIES

ATTACH_HINT = (f"Optional. Up to {MAX_FILES} files of {MAX_BYTES // (1024 * 1024)} MB each: photos, "
               "screenshots, PDFs, text, Word or Excel files.")
IMPACT_CHOICES = [(k, v) for k, v in IMPACTS.items()]
URGENCY_CHOICES = [(k, v) for k, v in URGENCIES.items()]


class NewTicketForm(FlaskForm):
    title = StringField("What's wrong?", validators=[
        DataRequired("Say in a few words what is wrong or what you need."),
        Length(max=200, message="Keep it under 200 characters; put the rest in the details.")],
        description="For example: projector in room 12 will not turn on.")
    description = TextAreaField("Details", validators=[Optional(), Length(max=20000)],
                                description="Optional. Where, since when, anything you have tried.")
    kind = RadioField("What kind?", choices=list(KINDS.items()), default="incident",
                      validators=[DataRequired("Choose what kind of request it is.")])
    impact = RadioField("Who is affected?", choices=IMPACT_CHOICES, coerce=int, default=3)
    urgency = RadioField("How urgent?", choices=URGENCY_CHOICES, coerce=int, default=2)
    category_id = SelectField("Category", choices=[], validators=[Optional()],
                              description="Optional: it helps the right person pick it up.")
    attachments = MultipleFileField("Attach files", description=ATTACH_HINT)
    asset = StringField("Which device?", validators=[Optional(), Length(max=100)],
                        description="Optional: the asset tag on its label, or its serial number.")
    room = StringField("Which room?", validators=[Optional(), Length(max=120)], description="Optional.",
                       render_kw={"list": "school-rooms"})


class SubjectForm(FlaskForm):
    """The device and the room a ticket is about, from the school's register."""
    asset = StringField("Device", validators=[Optional(), Length(max=100)],
                        description="Asset tag or serial number; leave empty for none.")
    room = StringField("Room", validators=[Optional(), Length(max=120)], render_kw={"list": "school-rooms"})


class ReplyForm(FlaskForm):
    body = TextAreaField("Your reply", validators=[DataRequired("Write something first.")])
    internal = BooleanField("Internal note: only IT staff see it")
    attachments = MultipleFileField("Attach files", description=ATTACH_HINT)


class StatusForm(FlaskForm):
    status = SelectField("New status", choices=[], validators=[DataRequired("Choose the new status.")])
    note = TextAreaField("Note", validators=[Optional()],
                         description="Optional. Shown in the history; the requester sees it when resolving.")


class AssignForm(FlaskForm):
    assignee_id = SelectField("Assign to", choices=[])


class PriorityForm(FlaskForm):
    impact = SelectField("Who is affected?", choices=IMPACT_CHOICES, coerce=int)
    urgency = SelectField("How urgent?", choices=URGENCY_CHOICES, coerce=int)


class ClassifyForm(FlaskForm):
    category_id = SelectField("Category", choices=[], validate_choice=False)
    service_id = SelectField("Service", choices=[], validate_choice=False,
                             description="The service from the trust's catalogue; its owner answers for it.")


class EscalateForm(FlaskForm):
    reason = TextAreaField("Why does it need the next tier?",
                           validators=[DataRequired("Say why it needs the next tier.")],
                           description="What you found and what you tried. The next tier reads this first.")
    decision_kind = SelectField("Decision needed", choices=[("", "— choose —")] + list(DECISION_KINDS.items()),
                                validators=[Optional()], description="For the IT director: what kind of decision.")


class HandBackForm(FlaskForm):
    reason = TextAreaField("What should the school do next?",
                           validators=[DataRequired("Say what the school needs to do next.")])


class ReopenForm(FlaskForm):
    body = TextAreaField("What is still wrong?", validators=[DataRequired("Say what is still wrong.")])


class ConfirmForm(FlaskForm):
    """Nothing but the CSRF token: the button says it all."""


class BulkAssignForm(FlaskForm):
    assignee_id = SelectField("Assign selected to", choices=[])


class ArticleSearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form

    q = StringField("Search guidance", validators=[Optional(), Length(max=200)])
