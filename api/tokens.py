from flask.views import MethodView
from flask_smorest import Blueprint, abort
from sqlalchemy import select

from api.auth import api_user
from api.errors import unprocessable
from api.pagination import PageArgs, page_schema, paginate
from api.schemas import NewTokenSchema, TokenSchema
from api.users import _naive
from services.directory import tokens as token_service
from services.directory.errors import DirectoryError
from services.directory.models import ApiToken, User
from trust_it.extensions import db
from trust_it.tenancy import current_scope

PREFIX = "/tokens"
blp = Blueprint("api_tokens", __name__, description="Your personal access tokens.")


@blp.route("/")
class Tokens(MethodView):
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, page_schema(TokenSchema, "TokenPage"))
    def get(self, args):
        """Your tokens, newest last (the secrets are never shown again)."""
        return paginate(select(ApiToken).where(ApiToken.user_id == api_user().id), ApiToken.id, args, db.session)

    @blp.arguments(TokenSchema)
    @blp.response(201, NewTokenSchema)
    def post(self, data):
        """Create a token for yourself; the response holds the secret, once."""
        try:
            token, secret = token_service.create_token(api_user(), name=data["name"],
                                                       expires_at=_naive(data.get("expires_at")))
        except DirectoryError as exc:
            unprocessable(exc)
        token.token = secret
        return token


@blp.route("/<int:token_id>")
class TokenById(MethodView):
    @blp.response(204)
    def delete(self, token_id):
        """Revoke a token: yours, or (trust administrators) anyone's in your trust."""
        token = db.session.execute(select(ApiToken).join(User).where(
            ApiToken.id == token_id, User.trust_id == current_scope().trust_id)).scalar()
        if token is None or (token.user_id != api_user().id and not current_scope().has_trust_role("trust_admin")):
            abort(404, message="No such token.")
        token_service.revoke_token(token, by=api_user())
