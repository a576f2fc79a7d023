"""网上商城采购合同: the printable contract of a confirmed order."""

from __future__ import annotations

from typing import Any

from flask import abort
from flask_appbuilder import BaseView, expose, has_access, permission_name

from app.scope import current_operator
from app.services.errors import ServiceError
from app.services.mall import core
from app.services.mall.contract import amount_in_words, payment_terms, readable_order
from app.services.money import format_money

SME_LABELS = {True: "是（订单确认时确定）", False: "否（订单确认时确定）", None: "未确定"}


class MallContractView(BaseView):
    """The contract of an order, for its unit, its supplier, the region's supervision, admin."""

    route_base = "/mall"
    default_view = "contract"

    @expose("/orders/<int:pk>/contract")
    @has_access
    @permission_name("mall_contract")
    def contract(self, pk: int) -> Any:
        """打印合同: parties, goods, total in figures and words, terms, signature blocks."""
        session, actor = self.appbuilder.session, current_operator()
        try:
            order = readable_order(session, actor, pk)
        except ServiceError as exc:
            abort(exc.status)
        contract = order.contract
        assert contract is not None  # readable_order refuses an order without one
        policy = core.policy_for(session, order.unit.region_id)
        lead = max((line.offer.lead_days for line in order.lines), default=0)
        own = actor is not None and actor.unit_id == order.unit_id
        return self.render_template(
            "mall/contract_print.html", order=order, contract=contract, money=format_money,
            words=amount_in_words(contract.amount), terms=payment_terms(order, policy),
            sme=SME_LABELS.get(order.supplier_sme, "未确定"), lead_days=lead,
            order_url=f"/mall/orders/{order.id}" if own else None)
