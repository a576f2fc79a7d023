"""Public pages, no sign-in: 合同公告, 采购意向 and 中标结果变更公告, and their index.

Only published records, only their public fields: no operator, opinion, internal id of a
person or attachment of the filing. Any id or page number answers 200 or 404, never 5xx.
"""

from __future__ import annotations

from typing import Any

from flask import abort, request
from flask_appbuilder import BaseView, expose
from sqlalchemy import Select

from app.services import contracts, public
from app.services.base import Page, page_number, paginate
from app.services.errors import ValidationFailed
from app.services.money import format_money

PAGE_SIZE = 20


class PublicPages(BaseView):
    """A public list page: paged, whatever ``?page=`` says."""

    def page(self, query: Select[Any]) -> Page[Any]:
        try:
            number = page_number(request.args.get("page"))
        except ValidationFailed:
            number = 1
        return paginate(self.appbuilder.session, query, number, PAGE_SIZE)

    def render(self, template: str, **context: Any) -> str:
        return self.render_template(template, money=format_money, **context)


class PublicIndexView(PublicPages):
    """公告公示: the index of the public lists."""

    route_base = "/public"
    default_view = "index"

    @expose("/")
    def index(self) -> str:
        return self.render("public/index.html")


class PublicContractView(PublicPages):
    """合同公告: each contract's latest notice, its corrections, revoked ones marked."""

    route_base = "/public/contracts"
    default_view = "index"

    @expose("/")
    def index(self) -> str:
        return self.render("contracts/public_list.html", page=self.page(public.public_contracts()),
                           revoked=contracts.is_revoked)

    @expose("/<int:pk>")
    def show(self, pk: int) -> str:
        session = self.appbuilder.session
        contract = public.public_contract(session, pk)
        if contract is None:
            abort(404)
        return self.render("contracts/public_show.html", contract=contract,
                           notice=contract.notices[-1], fields=contracts.NOTICE_FIELDS,
                           shown=contracts.notice_value, revoked=contracts.is_revoked(contract),
                           revoked_on=contracts.revoked_on(session, contract))


class PublicIntentionView(PublicPages):
    """采购意向公开: the intentions 公开 now."""

    route_base = "/public/intentions"
    default_view = "index"

    @expose("/")
    def index(self) -> str:
        return self.render("public/intentions.html", page=self.page(public.public_intentions()))

    @expose("/<int:pk>")
    def show(self, pk: int) -> str:
        intention = public.public_intention(self.appbuilder.session, pk)
        if intention is None:
            abort(404)
        return self.render("public/intention.html", intention=intention)


class PublicBidChangeView(PublicPages):
    """中标结果变更公告: the announcements 发布."""

    route_base = "/public/bid-changes"
    default_view = "index"

    @expose("/")
    def index(self) -> str:
        return self.render("public/bid_changes.html", page=self.page(public.public_bid_changes()))

    @expose("/<int:pk>")
    def show(self, pk: int) -> str:
        found = public.public_bid_change(self.appbuilder.session, pk)
        if found is None:
            abort(404)
        return self.render("public/bid_change.html", announcement=found)
