"""Email to ticket for a mail gateway: the gateway posts each received message here."""
from flask import g, request
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields

from services.desk.mail_ingest import ingest
from trust_it.tenancy import current_scope

PREFIX = "/mail"
blp = Blueprint("api_mail", __name__, description="Email to ticket, for the trust's mail gateway.")
GATEWAY_ROLES = ("trust_admin", "service_desk")


class IngestedSchema(Schema):
    ticket = fields.String(required=True, metadata={"description": "The ticket's reference, e.g. OAK-000123."})
    created = fields.Boolean(required=True, metadata={"description": "true: a new ticket; false: added to one."})


@blp.route("/inbound")
class Inbound(MethodView):
    @blp.doc(requestBody={
        "required": True,
        "description": "One email exactly as received (RFC 822 / RFC 5322), headers and body.",
        "content": {"message/rfc822": {"schema": {"type": "string", "format": "binary"}}}})
    @blp.response(201, IngestedSchema)
    @blp.alt_response(403, "FORBIDDEN")
    @blp.alt_response(415, "UNSUPPORTED_MEDIA_TYPE")
    @blp.alt_response(422, "UNPROCESSABLE_ENTITY")
    def post(self):
        """File a received email: a new message opens a ticket in the sender's school (found by the
        sender's address); a reply (In-Reply-To/References, or [OAK-000123] in the subject) is added to
        its ticket. Automatic replies, unknown senders and strangers replying are refused with a 422
        whose `message` says why. Needs a personal access token of a trust administrator or the
        trust service desk; only the caller's trust's schools and tickets are used."""
        if g.get("api_token") is None or not current_scope().has_trust_role(*GATEWAY_ROLES):
            abort(403, message="Only a trust administrator's or service desk token may deliver email.")
        if request.mimetype != "message/rfc822":
            abort(415, message="Send the email as the body, with Content-Type: message/rfc822.")
        result = ingest(request.get_data(), trust_id=current_scope().trust_id)
        if result.ticket is None:
            abort(422, message=result.reason)
        return {"ticket": result.ticket.reference, "created": result.created}
