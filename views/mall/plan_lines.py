"""网上商城 → 待采购 / 已完成: each mall plan line of the unit with what is bought and left."""

from __future__ import annotations

from typing import Any

from flask import abort, request
from flask_appbuilder import BaseView, expose, has_access

from app.scope import current_operator
from app.services.errors import ServiceError
from app.services.mall import cart
from views.mall.cart import HELPERS

TABS = {"open": "待采购", "done": "已完成"}


class MallPlanLinesView(BaseView):
    """待采购 and 已完成 of the signed-in clerk's unit (plan quantity and amount per line)."""

    route_base = "/mall/plan-lines"
    default_view = "index"
    method_permission_name = {"index": "list"}

    @expose("/")
    @has_access
    def index(self) -> Any:
        """One tab at a time: ``?tab=open`` (待采购, the default) or ``?tab=done`` (已完成)."""
        tab = request.args.get("tab", "open")
        if tab not in TABS:
            tab = "open"
        try:
            lines = cart.plan_line_rooms(self.appbuilder.session, current_operator())
        except ServiceError as exc:
            abort(exc.status)
        shown = [(item, room) for item, room in lines if room.done == (tab == "done")]
        return self.render_template("mall/plan_lines.html", title=TABS[tab], tab=tab, tabs=TABS,
                                    lines=shown, **HELPERS)
