"""Forms of the asset register's pages: an asset, the phone's quick update, rooms and licences.

Choices (categories, people, rooms) are filled by the view from the school's own lists; the rules
that need the database (unique tag, the room is this school's…) are services/assets/register.py's.
"""
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from services.assets.models import DISPOSAL_METHODS, FUNDING, STATUSES

STATUS_CHOICES = list(STATUSES.items())
NONE = ("", "— none —")


class AssetForm(FlaskForm):
    tag = StringField("Asset tag", validators=[DataRequired("Give the tag printed on its label."), Length(max=40)],
                      description="Unique across the trust, e.g. OAK-LT-0042.")
    category_id = SelectField("Category", choices=[], validators=[DataRequired("Choose a category.")])
    status = SelectField("Status", choices=STATUS_CHOICES, default="in_stock")
    manufacturer = StringField("Manufacturer", validators=[Optional(), Length(max=100)])
    model = StringField("Model", validators=[Optional(), Length(max=150)])
    model_number = StringField("Model number", validators=[Optional(), Length(max=100)])
    serial = StringField("Serial number", validators=[Optional(), Length(max=100)])
    name = StringField("Device name", validators=[Optional(), Length(max=150)])
    os = StringField("Operating system", validators=[Optional(), Length(max=60)],
                     description="e.g. Windows 11, ChromeOS.")
    os_version = StringField("OS version", validators=[Optional(), Length(max=60)])
    assigned_user_id = SelectField("Assigned to", choices=[], validators=[Optional()])
    location_id = SelectField("Room", choices=[], validators=[Optional()])
    purchased_on = DateField("Purchase date", validators=[Optional()])
    supplier = StringField("Supplier", validators=[Optional(), Length(max=150)])
    order_number = StringField("Order number", validators=[Optional(), Length(max=100)])
    cost = DecimalField("Cost (£)", places=2, validators=[Optional()],
                        render_kw={"inputmode": "decimal"})
    funding = SelectField("Paid for by", choices=[NONE] + list(FUNDING.items()), validators=[Optional()])
    warranty_ends_on = DateField("Warranty ends", validators=[Optional()])
    end_of_life_on = DateField("End of life", validators=[Optional()],
                               description="Leave empty to use the purchase date plus the category's expected life.")
    disposed_on = DateField("Disposed of on", validators=[Optional()])
    disposal_method = SelectField("Disposal method", choices=[NONE] + list(DISPOSAL_METHODS.items()),
                                  validators=[Optional()])
    wipe_certificate = StringField("Data-wipe certificate", validators=[Optional(), Length(max=120)])
    notes = TextAreaField("Notes", validators=[Optional(), Length(max=20000)])


class QuickUpdateForm(FlaskForm):
    """The phone's form near the top of an asset: status, room and person in one go."""
    status = SelectField("Status", choices=STATUS_CHOICES)
    location_id = SelectField("Room", choices=[], validators=[Optional()])
    assigned_user_id = SelectField("Assigned to", choices=[], validators=[Optional()])
    note = StringField("Note", validators=[Optional(), Length(max=500)], description="Optional, for the history.")


class RoomForm(FlaskForm):
    name = StringField("Room", validators=[DataRequired("Give the room a name."), Length(max=120)],
                       description="e.g. Science block S12.")
    building = StringField("Building", validators=[Optional(), Length(max=120)])


class RoomEditForm(RoomForm):
    active = BooleanField("In use")


class LicenceForm(FlaskForm):
    product = StringField("Product", validators=[DataRequired("Name the product."), Length(max=150)])
    vendor = StringField("Vendor", validators=[Optional(), Length(max=150)])
    seats = IntegerField("Seats bought", validators=[InputRequired("Give the number of seats."),
                                                     NumberRange(min=0, max=1_000_000)])
    seats_used = IntegerField("Seats used", default=0, validators=[Optional(), NumberRange(min=0, max=1_000_000)])
    expires_on = DateField("Expires", validators=[Optional()])
    cost = DecimalField("Cost (£)", places=2, validators=[Optional()], render_kw={"inputmode": "decimal"})
    reference = StringField("Agreement or order number", validators=[Optional(), Length(max=120)])
    notes = TextAreaField("Notes", validators=[Optional(), Length(max=5000)])


class TrustLicenceForm(LicenceForm):
    school_id = SelectField("For", choices=[], validators=[Optional()])


class CategoryForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired("Give the category a name."), Length(max=100)])
    expected_life_months = IntegerField("Expected life (months)",
                                        validators=[DataRequired("Give the expected life in months."),
                                                    NumberRange(min=1, max=600)])
    unit_cost = DecimalField("Replacement cost (£)", places=2,
                             validators=[InputRequired("Give the cost of a replacement."), NumberRange(min=0)])
    custom_fields = TextAreaField("Custom fields", validators=[Optional()],
                                  description="One a line, a name and a type (text, number, date or boolean), "
                                              "e.g. “Screen size: number”.")
    active = BooleanField("In use", default=True)


class ActionForm(FlaskForm):
    """Nothing but the CSRF token."""
