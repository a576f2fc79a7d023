"""品目管理: the catalogue items plan lines and the mall's products are filed against."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.services.errors import ValidationFailed
from app.services.money import optional_money
from app.services.records import save_record
from models import CatalogueItem, Operator


def validate_catalogue_item(session: Session, item: CatalogueItem) -> None:
    """品目: a unique code, a name, a category and non-negative limits."""
    item.code, item.name = (item.code or "").strip(), (item.name or "").strip()
    if not item.code or not item.name:
        raise ValidationFailed("品目编码和品目名称不能为空。")
    clash = select(CatalogueItem.id).where(CatalogueItem.code == item.code,
                                           CatalogueItem.id != item.id)
    if session.scalar(clash):
        raise ValidationFailed(f"品目编码“{item.code}”已存在。")
    item.mall_limit = optional_money(item.mall_limit, "网上商城数额上限", field="mall_limit")
    item.centralised_limit = optional_money(item.centralised_limit, "集中采购数额标准",
                                            field="centralised_limit")


def save_catalogue_item(session: Session, actor: Operator | None, data: Mapping[str, Any],
                        item: CatalogueItem | None = None) -> CatalogueItem:
    """品目管理 保存.

    :raises ValidationFailed: as :func:`validate_catalogue_item`
    """
    return save_record(session, CatalogueItem, item, data,
                       lambda record, creating: validate_catalogue_item(session, record))
