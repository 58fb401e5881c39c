from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Email


class LoginForm(FlaskForm):
    email = EmailField("Email address", filters=[lambda v: v.strip() if v else v],
                       validators=[DataRequired("Enter your email address."),
                                   Email("Enter an email address like name@school.org.uk.")])
    password = PasswordField("Password", validators=[DataRequired("Enter your password.")])
