"""网上商城 → 商品搜索 and the product page (every supplier's live offer side by side)."""

from __future__ import annotations

from typing import Any, cast

from flask import abort, current_app, flash, request
from flask_appbuilder import BaseView, expose, has_access
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.scope import current_operator, is_sys_admin
from app.services.errors import ServiceError
from app.services.mall import catalogue, room
from app.services.money import format_money
from app.services.records import clerk_of
from models import CatalogueItem, PlanItem
from models.mall import MallProduct

# The 加入购物车 form posts to the cart (views/mall/cart.py).
CART_ADD = "/mall/cart/add"


def _mall_items() -> list[CatalogueItem]:
    return list(cast(Any, current_app).appbuilder.session.scalars(
        select(CatalogueItem).where(CatalogueItem.in_mall.is_(True))
        .order_by(CatalogueItem.code)))


def plan_choices(product: MallProduct) -> list[dict[str, Any]] | None:
    """The current clerk's mall plan lines of the product's 品目 with what is left on each;
    ``None`` for anyone who does not buy (no cart form)."""
    actor = current_operator()
    try:
        clerk = clerk_of(actor, "网上商城采购")
    except ServiceError:
        return None
    if clerk.unit_id is None:
        return None
    session = cast(Any, current_app).appbuilder.session
    lines = list(session.scalars(
        room.mall_lines(clerk.unit_id)
        .where(PlanItem.catalogue_item_id == product.catalogue_item_id)
        .options(joinedload(PlanItem.plan))))
    rooms = room.rooms(session, lines)
    choices = []
    for line in lines:
        left = rooms[line.id]
        if left.done:
            continue
        choices.append({
            "id": line.id, "plan": line.plan, "qty": format(left.left_qty.normalize(), "f"),
            "amount": format_money(left.left_amount),
        })
    return choices


class MallCatalogueView(BaseView):
    """商品搜索 and 商品详情 for buyers (and, without the cart, supervision and administrators)."""

    route_base = "/mall/products"
    default_view = "search"
    method_permission_name = {"search": "list", "product": "show"}

    @expose("/")
    @has_access
    def search(self) -> Any:
        """商品搜索: 品目, 品牌, 型号, 关键词; lowest live price and number of suppliers."""
        args = request.args
        wanted = {key: args.get(key, "") for key in ("keyword", "catalogue_item_id", "brand",
                                                      "model")}
        try:
            found = catalogue.search(self.appbuilder.session, page=args.get("page", "1"),
                                     **wanted)
        except ServiceError as exc:
            flash(exc.message, "danger")
            found = catalogue.SearchPage([], 0, 1)
        pager = {k: v for k, v in wanted.items() if v}
        return self.render_template(
            "mall/catalogue_search.html", title="商品搜索", found=found, wanted=wanted,
            items=_mall_items(), money=format_money, pager=pager)

    @expose("/<int:pk>")
    @has_access
    def product(self, pk: int) -> Any:
        """商品详情: configuration, policy flags and every live offer, lowest first."""
        session = self.appbuilder.session
        actor = current_operator()
        try:
            product = catalogue.live_product(session, pk)
        except ServiceError:
            product = None
            # An administrator may still look at a product no longer sold.
            if is_sys_admin(actor) and 0 < pk < 2**31:
                product = session.get(MallProduct, pk)
        if product is None:
            abort(404)
        offers = catalogue.live_offers(session, product.id)
        evidence = catalogue.price_evidence(session, product.id)
        flags = [label for flag, label in catalogue.FLAG_LABELS.items()
                 if getattr(product, flag)]
        return self.render_template(
            "mall/catalogue_product.html", title=f"{product.brand} {product.model}",
            product=product, offers=offers, evidence=evidence, flags=flags,
            configuration=catalogue.parse_configuration(product.configuration),
            lines=plan_choices(product), cart_add=CART_ADD, money=format_money)
