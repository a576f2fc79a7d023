"""商城规则 (系统管理): the mall policy of every region, the default row first."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access, permission_name
from sqlalchemy import select

from app.scope import current_operator
from app.services.mall import admin
from app.services.mall.core import DEFAULT_POLICY
from models import Region
from models.mall import MallPolicy
from models.values import id_in_text
from views.base import attempt


class MallPolicyView(BaseView):
    """商城规则: list the policy rows, edit one, add one for a region without its own."""

    route_base = "/mall/admin/policies"
    default_view = "index"

    @expose("/")
    @has_access
    @permission_name("list")
    def index(self) -> str:
        session = self.appbuilder.session
        rows = admin.policies(session)
        has_default = any(row.region_id is None for row in rows)
        free = self._free_regions(rows)
        return self.render_template(
            "mall/admin_policies.html", title="商城规则", rows=rows, has_default=has_default,
            builtin=DEFAULT_POLICY, ranges=admin.RANGES, actions=admin.MEDIAN_ACTIONS,
            can_add=bool(free))

    @expose("/default", methods=["GET", "POST"])
    @has_access
    @permission_name("edit")
    def default(self) -> Any:
        """修改 the default row (created on first save from the built-in values)."""
        row = self.appbuilder.session.scalar(
            select(MallPolicy).where(MallPolicy.region_id.is_(None)))
        return self._form(row, None, "修改商城规则：默认（未单独设置的区划）")

    @expose("/<int:pk>", methods=["GET", "POST"])
    @has_access
    @permission_name("edit")
    def edit(self, pk: int) -> Any:
        row = self.appbuilder.session.get(MallPolicy, pk)
        if row is None:
            abort(404)
        if row.region_id is None:
            return redirect(url_for(".default"))
        return self._form(row, row.region, f"修改商城规则：{row.region.name}")

    @expose("/add", methods=["GET", "POST"])
    @has_access
    @permission_name("edit")
    def add(self) -> Any:
        """新增 a region's own row: the region is chosen (blank first), the values start from
        the default row."""
        return self._form(None, None, "新增区划商城规则", choosing=True)

    def _free_regions(self, rows: list[MallPolicy]) -> list[Region]:
        taken = {row.region_id for row in rows if row.region_id is not None}
        regions = self.appbuilder.session.scalars(
            select(Region).order_by(Region.sort_order, Region.id)).all()
        return [region for region in regions if region.id not in taken]

    def _form(self, row: MallPolicy | None, region: Region | None, title: str,
              choosing: bool = False) -> Any:
        session = self.appbuilder.session
        start = row or session.scalar(
            select(MallPolicy).where(MallPolicy.region_id.is_(None))) or DEFAULT_POLICY
        values: dict[str, Any] = {name: getattr(start, name) for name in admin.POLICY_FIELDS}
        free = self._free_regions(admin.policies(session)) if choosing else []
        chosen, error, field = "", "", None
        if request.method == "POST":
            values = {name: request.form.get(name, "") for name in admin.POLICY_FIELDS}
            region_id: Any = region.id if region is not None else None
            if choosing:
                chosen = request.form.get("region_id", "")
                region_id = id_in_text(chosen) if chosen else None
                if region_id is None:
                    error, field = "请选择区划。", "region_id"
                elif region_id not in {r.id for r in free}:
                    error, field = "该区划已有商城规则，请在列表中修改。", "region_id"
            if not error:
                refused = attempt(lambda work: admin.save_policy(
                    work, current_operator(), region_id, values))
                if refused is None:
                    flash("商城规则已保存。", "success")
                    return redirect(url_for(".index"))
                error, field = refused.message, refused.field
        return self.render_template(
            "mall/admin_policy_form.html", title=title, values=values, ranges=admin.RANGES,
            actions=admin.MEDIAN_ACTIONS, choosing=choosing, regions=free, chosen=chosen,
            error=error, field=field, region=region)
