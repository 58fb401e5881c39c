from flask_wtf import FlaskForm
from wtforms import DateField, DateTimeLocalField, EmailField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional

from services.directory.models import CLOSURE_KINDS, PHASES, SUPPORT_MODELS
from trust_it.tenancy import ALL_ROLES, ROLE_LABELS

ROLE_CHOICES = [(r, ROLE_LABELS[r]) for r in ALL_ROLES]


class SchoolForm(FlaskForm):
    name = StringField("School name", validators=[DataRequired("Enter the school's name."), Length(max=200)])
    slug = StringField("Web address name", validators=[Optional(), Length(max=60)],
                       description="Used in addresses like /s/oakwood/. Lower-case letters, digits and hyphens.")
    urn = StringField("URN", validators=[Optional(), Length(max=6)], description="6 digits, from GIAS.")
    la_estab = StringField("LAEstab", validators=[Optional(), Length(max=7)],
                           description="LA code and establishment number, 7 digits.")
    phase = SelectField("Phase", choices=[(p, p) for p in PHASES], default="Primary")
    pupils = IntegerField("Number of pupils", validators=[Optional(), NumberRange(min=0, max=100_000)])
    support_model = SelectField("IT support model", choices=list(SUPPORT_MODELS.items()))
    email_domains = StringField("Email domains", validators=[Optional()],
                                description="Separate with commas, e.g. oakwood.sch.uk. Staff signing in with "
                                            "these domains belong to this school.")
    timezone = StringField("Time zone", default="Europe/London", validators=[DataRequired()])


class TermForm(FlaskForm):
    name = StringField("Term", validators=[DataRequired("Name the term, e.g. Autumn 1.")])
    starts_on = DateField("First day", validators=[DataRequired("Enter the first day of term.")])
    ends_on = DateField("Last day", validators=[DataRequired("Enter the last day of term.")])


class ClosureForm(FlaskForm):
    day = DateField("Date", validators=[DataRequired("Enter the date.")])
    kind = SelectField("Kind", choices=list(CLOSURE_KINDS.items()))
    name = StringField("Description", validators=[Optional(), Length(max=100)])


class BankHolidayForm(FlaskForm):
    starts_on = DateField("From", validators=[DataRequired()])
    ends_on = DateField("To", validators=[DataRequired()])


class InviteForm(FlaskForm):
    email = EmailField("Email address", filters=[lambda v: v.strip() if v else v],
                       validators=[DataRequired("Enter an email address."),
                                   Email("Enter an email address like name@school.org.uk.")])
    display_name = StringField("Name", validators=[DataRequired("Enter the person's name."), Length(max=200)])
    role = SelectField("Role", choices=ROLE_CHOICES)
    school = SelectField("School", choices=[], validate_choice=False,
                         description="For school roles. Leave empty for trust-wide roles.")
    expires_at = DateTimeLocalField("Access ends", format="%Y-%m-%dT%H:%M", validators=[Optional()],
                                    description="For contractors such as an MSP engineer.")


class MembershipForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES)
    school = SelectField("School", choices=[], validate_choice=False)
    expires_at = DateTimeLocalField("Access ends", format="%Y-%m-%dT%H:%M", validators=[Optional()])


class ChangeRoleForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES)


class ActionForm(FlaskForm):
    """A form with nothing but its CSRF token, for buttons that post."""


class TenantForm(FlaskForm):
    tenant_id = StringField("Tenant id", validators=[DataRequired("Enter the tenant id.")])
    label = StringField("Label", validators=[Optional(), Length(max=200)])


class RuleForm(FlaskForm):
    claim = SelectField("When the person has", choices=[("app_role", "App role"), ("group", "Group (object id)"),
                                                       ("email_domain", "Email domain")])
    value = StringField("Value", validators=[DataRequired("Enter the value to match.")],
                        description="e.g. School.Technician, a group's object id, or oakwood.sch.uk")
    role = SelectField("give the role", choices=ROLE_CHOICES)
    school = SelectField("at school", choices=[], validate_choice=False,
                         description="Empty: trust-wide roles, or the school matching the person's email domain.")
