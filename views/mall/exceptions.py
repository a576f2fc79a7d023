"""异常待办 (the buying unit's open mall exceptions) and 商城异常 (every exception, for the
system administrator): list, and 处理 with a resolution."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access, permission_name
from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from app.scope import current_operator
from app.services.base import page_number, paginate
from app.services.errors import ServiceError
from app.services.mall import exceptions
from models.mall import MallException, MallOrder
from models.values import id_in_text
from views.base import attempt

PAGE_SIZE = 50


class _ExceptionPage(BaseView):
    """The list and 处理 of mall exceptions; subclasses say whose."""

    default_view = "index"
    template = "mall/exception_list.html"
    title = ""
    all_units = False  # the administrator's page: every unit, resolved ones on request

    def query(self, shown: str) -> Select[tuple[MallException]]:
        actor = current_operator()
        if self.all_units:
            query = select(MallException)
            if shown != "all":
                query = query.where(MallException.resolved_on.is_(None))
            query = query.order_by(MallException.created_on.desc(), MallException.id.desc())
        else:
            unit_id = actor.unit_id if actor is not None else None
            query = exceptions.open_exceptions(unit_id if unit_id is not None else -1)
        return query.options(joinedload(MallException.order).joinedload(MallOrder.unit),
                             joinedload(MallException.supplier),
                             joinedload(MallException.resolved_by))

    def page(self, errors: dict[int, str] | None = None,
             typed: dict[int, str] | None = None) -> str:
        shown = request.args.get("shown", "") if self.all_units else ""
        try:
            number = page_number(request.args.get("page"))
        except ServiceError as exc:
            flash(exc.message, "warning")
            number = 1
        page = paginate(self.appbuilder.session, self.query(shown), number, PAGE_SIZE)
        return self.render_template(
            self.template, title=self.title, page=page, shown=shown, all_units=self.all_units,
            errors=errors or {}, typed=typed or {}, label=exceptions.kind_label,
            here=f"{self.endpoint}.index", resolve=f"{self.endpoint}.resolve")

    @expose("/")
    @has_access
    @permission_name("list")
    def index(self) -> str:
        return self.page()

    @expose("/<int:pk>/resolve", methods=["POST"])
    @has_access
    def resolve(self, pk: int) -> Any:
        """处理: the resolution typed in the row; a refusal re-renders the list with it kept."""
        text = request.form.get("resolution", "")
        refused = attempt(lambda work: exceptions.resolve_exception(
            work, current_operator(), pk, text))
        if refused is None:
            flash("异常已处理。", "success")
            return redirect(self._back())
        if refused.status == 404:
            flash(refused.message, "danger")
            return redirect(self._back())
        if refused.field is None:
            flash(refused.message, "warning")
            return redirect(self._back())
        return self.page({pk: refused.message}, {pk: text})

    def _back(self) -> str:
        shown = request.form.get("shown", "")
        page = id_in_text(request.form.get("page", "")) or 1
        args: dict[str, Any] = {"page": page} if page > 1 else {}
        if self.all_units and shown == "all":
            args["shown"] = "all"
        return url_for(f"{self.endpoint}.index", **args)


class MallExceptionView(_ExceptionPage):
    """异常待办: the open exceptions of the buyer's unit."""

    route_base = "/mall/exceptions"
    title = "异常待办"


class MallExceptionAdminView(_ExceptionPage):
    """商城异常: every unit's exceptions (open first by default) for the administrator."""

    route_base = "/mall/admin/exceptions"
    title = "商城异常"
    all_units = True
