"""供应商中心 → 商品与报价; 系统管理 → 商城商品 and 上架审核."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload
from werkzeug.wrappers import Response

from app.scope import current_operator
from app.services import files
from app.services.errors import ServiceError
from app.services.mall import catalogue, offers
from app.services.money import format_money
from models.mall import OFFER_LABELS, MallOffer, MallProduct, OfferStatus
from models.values import id_in_text, valid_id
from views.base import ServiceModelView, attempt
from views.forms import file_input, kept_uploads

PAGE_SIZE = 50
OFFER_FIELDS = ("supplier_sku", "price", "stock", "lead_days", "market_price", "market_url")


def _page() -> int:
    number = id_in_text(request.args.get("page", "1")) or 1
    return min(number, 10_000)


def _send_evidence(offer: MallOffer) -> Response:
    try:
        path = files.stored_path(offer.evidence_path)
    except ServiceError:
        abort(404)
    return send_file(path, download_name=offer.evidence_name or "上架证明", as_attachment=True)


class MallProductView(ServiceModelView):
    """商城商品 (系统管理员): products of the 网上商城目录 with configuration and policy flags."""

    datamodel = SQLAInterface(MallProduct)
    list_title = show_title = _l("商城商品")
    add_title = _l("增加商城商品")
    edit_title = _l("修改商城商品")
    list_columns = ["catalogue_item", "brand", "model", "name", "unit_name", "energy_saving",
                    "environmental", "imported", "active"]
    show_columns = add_columns = edit_columns = [
        "catalogue_item", "brand", "model", "name", "unit_name", "configuration",
        "energy_saving", "environmental", "imported", "active"]
    search_columns = ["catalogue_item", "brand", "model", "name", "active"]
    order_columns = ["brand", "model", "name"]
    base_order = ("id", "asc")
    label_columns = {
        "catalogue_item": _l("品目"), "brand": _l("品牌"), "model": _l("型号"),
        "name": _l("商品名称"), "unit_name": _l("计量单位"), "configuration": _l("配置"),
        "energy_saving": _l("节能"), "environmental": _l("环保"), "imported": _l("进口"),
        "active": _l("启用"),
    }
    description_columns = {
        "configuration": _l("每行一项，格式为“参数：值”，如“内存：16GB”。"),
        "active": _l("取消后采购人不再能搜索到该商品；已有报价和价格历史保留。"),
        "catalogue_item": _l("只能选择网上商城目录内的品目。"),
    }
    add_form_query_rel_fields = edit_form_query_rel_fields = {
        "catalogue_item": [["in_mall", FilterEqual, True]]}
    required_choices = ["catalogue_item"]

    save_command = staticmethod(catalogue.save_product)
    delete_command = staticmethod(catalogue.delete_product)


def _offer_input(product_id: Any = None) -> offers.OfferInput:
    typed: dict[str, Any] = {name: request.form.get(name, "") for name in OFFER_FIELDS}
    return offers.OfferInput(product_id=product_id, **typed)


class SupplierOfferView(BaseView):
    """商品与报价: a supplier's own offers; 增加, 修改, 价格历史, 下架, 重新提交审核."""

    route_base = "/mall/offers"
    default_view = "index"
    method_permission_name = {
        "index": "list", "add": "add", "edit": "edit", "history": "show", "withdraw": "edit",
        "resubmit": "edit", "evidence": "show",
    }

    def _offer(self, pk: int) -> MallOffer:
        """The signed-in supplier's offer, else 404 (another supplier's id is not there)."""
        actor = current_operator()
        offer = self.appbuilder.session.get(MallOffer, pk) if valid_id(pk) else None
        if offer is None or actor is None or actor.supplier_id is None \
                or offer.supplier_id != actor.supplier_id:
            abort(404)
        return offer

    @expose("/")
    @has_access
    def index(self) -> Any:
        actor = current_operator()
        supplier_id = actor.supplier_id if actor is not None else None
        if supplier_id is None:
            flash("只有供应商账号可以维护商品报价。", "warning")
        page = _page()
        mine = MallOffer.supplier_id == (supplier_id or 0)
        session = self.appbuilder.session
        rows = list(session.scalars(
            select(MallOffer).where(mine).options(joinedload(MallOffer.product))
            .order_by(MallOffer.updated_on.desc(), MallOffer.id.desc())
            .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)))
        total = session.scalar(select(func.count(MallOffer.id)).where(mine)) or 0
        return self.render_template(
            "mall/offer_list.html", title="商品与报价", rows=rows, page=page,
            pages=max(1, -(-total // PAGE_SIZE)), total=total, money=format_money,
            allows=offers.supplier_allows)

    def _form(self, title: str, offer: MallOffer | None, error: ServiceError | None = None,
              kept: Any = None) -> str:
        actor = current_operator()
        products: list[MallProduct] = []
        if offer is None:
            offered = select(MallOffer.product_id).where(
                MallOffer.supplier_id == (actor.supplier_id if actor else 0))
            products = list(self.appbuilder.session.scalars(
                select(MallProduct).where(MallProduct.active.is_(True),
                                          MallProduct.id.not_in(offered))
                .options(joinedload(MallProduct.catalogue_item))
                .order_by(MallProduct.catalogue_item_id, MallProduct.brand, MallProduct.model)))
        typed = request.form if request.method == "POST" else None
        values = {name: (typed.get(name, "") if typed is not None else
                         "" if offer is None else _shown(offer, name)) for name in OFFER_FIELDS}
        values["product_id"] = typed.get("product_id", "") if typed is not None else ""
        pending = kept.kept.get("evidence") if kept is not None else None
        return self.render_template(
            "mall/offer_form.html", title=title, offer=offer, products=products,
            values=values, error=error, evidence=file_input("evidence", "evidence", pending),
            money=format_money)

    def _save(self, title: str, offer: MallOffer | None) -> Any:
        actor = current_operator()
        if request.method != "POST" or actor is None:
            return self._form(title, offer)
        kept = kept_uploads(("evidence",), actor.id)
        data = _offer_input(id_in_text(request.form.get("product_id", "")))
        data.evidence = kept.get("evidence")
        if offer is None:
            refused = attempt(lambda session: offers.add_offer(session, actor, data))
        else:
            refused = attempt(lambda session: offers.edit_offer(session, actor, offer.id, data))
        if refused:
            flash(refused.message, "danger")
            return self._form(title, offer, refused, kept)
        files.discard_pending(kept.tokens)
        flash("报价已提交，等待上架审核。" if offer is None else "报价已保存。", "success")
        return redirect(url_for("SupplierOfferView.index"))

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self) -> Any:
        try:
            offers.supplier_of(current_operator())
        except ServiceError as exc:
            flash(exc.message, "danger")
            return redirect(url_for("SupplierOfferView.index"))
        return self._save("增加报价", None)

    @expose("/<int:pk>/edit", methods=["GET", "POST"])
    @has_access
    def edit(self, pk: int) -> Any:
        offer = self._offer(pk)
        return self._save(f"修改报价：{offer.product}", offer)

    @expose("/<int:pk>/history")
    @has_access
    def history(self, pk: int) -> Any:
        offer = self._offer(pk)
        rows = offers.price_history(self.appbuilder.session, current_operator(), offer.id)
        return self.render_template(
            "mall/offer_history.html", title=f"价格历史：{offer.product}", offer=offer,
            rows=rows, sources=offers.SOURCES, money=format_money,
            back=url_for("SupplierOfferView.index"))

    def _move(self, pk: int, kind: str, done: str) -> Response:
        offer = self._offer(pk)
        actor = current_operator()
        refused = attempt(lambda session: offers.supplier_move(session, actor, offer.id, kind))
        if refused:
            flash(refused.message, "danger")
        else:
            flash(done, "success")
        return redirect(url_for("SupplierOfferView.index"))

    @expose("/<int:pk>/withdraw", methods=["POST"])
    @has_access
    def withdraw(self, pk: int) -> Response:
        return self._move(pk, "withdraw", "报价已下架，采购人不再可见。")

    @expose("/<int:pk>/resubmit", methods=["POST"])
    @has_access
    def resubmit(self, pk: int) -> Response:
        return self._move(pk, "resubmit", "报价已重新提交，等待上架审核。")

    @expose("/<int:pk>/evidence")
    @has_access
    def evidence(self, pk: int) -> Response:
        return _send_evidence(self._offer(pk))


def _shown(offer: MallOffer, name: str) -> str:
    value = getattr(offer, name)
    return "" if value is None else str(value)


class OfferReviewView(BaseView):
    """上架审核 (系统管理员): every offer by status; approve, reject, freeze, unfreeze, delist."""

    route_base = "/mall/review"
    default_view = "index"
    method_permission_name = {"index": "list", "act": "edit", "evidence": "show"}

    @expose("/")
    @has_access
    def index(self) -> Any:
        status = request.args.get("status", "")
        chosen = status if status in {s.value for s in OfferStatus} else ""
        if status and not chosen:
            flash("状态不正确，已显示全部报价。", "warning")
        session, page = self.appbuilder.session, _page()
        query = select(MallOffer)
        if chosen:
            query = query.where(MallOffer.status == chosen)
        rows = list(session.scalars(
            query.options(joinedload(MallOffer.product), joinedload(MallOffer.supplier))
            .order_by(MallOffer.updated_on.desc(), MallOffer.id.desc())
            .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)))
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        return self.render_template(
            "mall/offer_review.html", title="上架审核", rows=rows, status=chosen,
            statuses=OFFER_LABELS, page=page, pages=max(1, -(-total // PAGE_SIZE)),
            total=total, money=format_money, allows=offers.review_allows,
            actions=offers.REVIEW_LABELS)

    @expose("/<int:pk>/<kind>", methods=["GET", "POST"])
    @has_access
    def act(self, pk: int, kind: str) -> Any:
        """One review action; those needing a reason ask it first."""
        offer = self.appbuilder.session.get(MallOffer, pk) if valid_id(pk) else None
        if offer is None or kind not in offers.REVIEW_MOVES:
            abort(404)
        label = offers.REVIEW_LABELS[kind]
        back = url_for("OfferReviewView.index", status=request.args.get("status") or None)
        if not offers.review_allows(kind, offer.status):
            flash(f"报价当前状态为“{offer.status_label}”，不能{label}。", "danger")
            return redirect(back)
        reason, error = request.form.get("reason", ""), ""
        if request.method == "POST":
            actor = current_operator()
            refused = attempt(lambda session: offers.review_offer(session, actor, offer.id,
                                                                  kind, reason))
            if refused is None:
                flash(f"{offer.product}（{offer.supplier.name}）：已{label}。", "success")
                return redirect(back)
            error = refused.message
        return self.render_template(
            "mall/offer_act.html", title=f"{label}：{offer.product}", offer=offer, kind=kind,
            label=label, reason=reason, error=error, back=back,
            needs_reason=kind in offers.REASON_REQUIRED, money=format_money)

    @expose("/<int:pk>/evidence/file")
    @has_access
    def evidence(self, pk: int) -> Response:
        offer = self.appbuilder.session.get(MallOffer, pk) if valid_id(pk) else None
        if offer is None:
            abort(404)
        return _send_evidence(offer)
