"""/s/<school>/assets/transfers: the devices this school sent to, and received from, other schools."""
from __future__ import annotations

from flask import g, render_template, request

from schools import bp
from services.assets import permissions
from services.assets import transfers as transfer_service
from trust_it.access import requires_school_role
from trust_it.ids import db_int
from trust_it.tenancy import current_scope

PAGE = 50


@bp.get("/assets/transfers")
@requires_school_role(*permissions.READERS)
def asset_transfers():
    before = request.args.get("before", type=db_int)
    rows, next_before = transfer_service.page(transfer_service.of_school(current_scope(), g.school.id),
                                              current_scope(), before_id=before, limit=PAGE)
    return render_template("schools/assets/transfers.html", school=g.school, rows=rows, next_before=next_before)
