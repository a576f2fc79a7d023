"""Rules for regions, units and business-division responsibilities."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.services.base import without_autoflush
from app.services.errors import ValidationFailed
from app.services.records import delete_record, save_record
from models import Operator, Region, Unit, UnitKind, division_competent

REGION_CODE = re.compile(r"^[a-z][a-z0-9]{0,15}$")
UNIT_CODE = re.compile(r"^[A-Za-z0-9_-]{2,32}$")


def _required(value: str | None, label: str) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationFailed(f"{label}不能为空。")
    return text


@without_autoflush
def validate_region(session: Session, region: Region) -> None:
    """Check a region before it is saved.

    :raises ValidationFailed: on a missing or malformed field, or a duplicate code or name
    """
    region.code = _required(region.code, "区划代码").lower()
    region.name = _required(region.name, "区划名称")
    region.short_name = _required(region.short_name, "简称")
    region.sort_order = region.sort_order or 0
    if not REGION_CODE.match(region.code):
        raise ValidationFailed("区划代码只能由小写字母和数字组成，以字母开头，不超过16位。")
    if len(region.short_name) > 10:
        raise ValidationFailed("简称不能超过10个字。")
    for column, label, value in (
        (Region.code, "区划代码", region.code),
        (Region.name, "区划名称", region.name),
    ):
        clash = session.scalar(select(Region.id).where(column == value, Region.id != region.id))
        if clash is not None:
            raise ValidationFailed(f"{label}“{value}”已存在。")


@without_autoflush
def validate_region_delete(session: Session, region: Region) -> None:
    """Refuse to delete a region that still has units."""
    count = session.scalar(select(func.count(Unit.id)).where(Unit.region_id == region.id))
    if count:
        raise ValidationFailed(f"区划“{region.name}”下还有{count}个单位，不能删除。")


@without_autoflush
def validate_unit(session: Session, unit: Unit) -> None:
    """Check a unit before it is saved: code, name, kind, region and 主管单位.

    :raises ValidationFailed: naming the field that breaks a rule
    """
    unit.code = _required(unit.code, "单位编码")
    unit.name = _required(unit.name, "单位名称")
    if not UNIT_CODE.match(unit.code):
        raise ValidationFailed("单位编码只能由字母、数字、下划线或连字符组成，长度2至32位。")
    if unit.kind is None:
        raise ValidationFailed("请选择单位类型。")
    region = unit.region or (session.get(Region, unit.region_id) if unit.region_id else None)
    if region is None:
        raise ValidationFailed("请选择所属区划。")
    if session.scalar(select(Unit.id).where(Unit.code == unit.code, Unit.id != unit.id)):
        raise ValidationFailed(f"单位编码“{unit.code}”已存在。")
    same_name = select(Unit.id).where(
        Unit.name == unit.name, Unit.region_id == region.id, Unit.id != unit.id
    )
    if session.scalar(same_name):
        raise ValidationFailed(f"{region.name}已有名为“{unit.name}”的单位。")
    _validate_parent(session, unit, region)
    if unit.id is not None:
        _validate_structural_change(session, unit, region)
    if unit.kind is UnitKind.supervision:
        other = session.scalar(
            select(Unit.name).where(
                Unit.region_id == region.id,
                Unit.kind == UnitKind.supervision,
                Unit.id != unit.id,
            )
        )
        if other:
            raise ValidationFailed(
                f"{region.name}已设置监管部门“{other}”，每个区划只能有一个监管部门。"
            )


def _validate_parent(session: Session, unit: Unit, region: Region) -> None:
    parent = unit.parent or (session.get(Unit, unit.parent_id) if unit.parent_id else None)
    if parent is None:
        return
    if unit.kind is not UnitKind.purchaser:
        raise ValidationFailed("只有采购单位可以设置主管单位。")
    if unit.id is not None and parent.id == unit.id:
        raise ValidationFailed("主管单位不能是本单位。")
    if parent.kind is not UnitKind.purchaser or parent.parent_id is not None:
        raise ValidationFailed(f"“{parent.name}”不是一级预算单位，不能作为主管单位。")
    if parent.region_id != region.id:
        raise ValidationFailed("主管单位必须与本单位属于同一区划。")
    if unit.id is not None and session.scalar(select(Unit.id).where(Unit.parent_id == unit.id)):
        raise ValidationFailed(f"“{unit.name}”下设有下级单位，不能再设置主管单位。")


def _validate_structural_change(session: Session, unit: Unit, region: Region) -> None:
    """A unit that others depend on keeps its kind and region."""
    stored = session.execute(
        select(Unit.kind, Unit.region_id).where(Unit.id == unit.id)
    ).one_or_none()
    if stored is None:
        return
    kind_changed, region_changed = stored.kind is not unit.kind, stored.region_id != region.id
    if not (kind_changed or region_changed):
        return
    what = "单位类型" if kind_changed else "所属区划"
    if session.scalar(select(func.count(Unit.id)).where(Unit.parent_id == unit.id)):
        raise ValidationFailed(f"“{unit.name}”下设有下级单位，不能修改{what}。")
    linked = session.scalar(
        select(func.count()).select_from(division_competent).where(
            (division_competent.c.division_id == unit.id)
            | (division_competent.c.competent_id == unit.id)
        )
    )
    if linked:
        raise ValidationFailed(f"“{unit.name}”仍有业务处室分管关系，不能修改{what}，请先解除。")
    if kind_changed and session.scalar(
        select(func.count(Operator.id)).where(Operator.unit_id == unit.id)
    ):
        raise ValidationFailed(f"“{unit.name}”下还有操作人员，不能修改单位类型。")


@without_autoflush
def validate_unit_delete(session: Session, unit: Unit) -> None:
    """Refuse to delete a unit that still has operators, subordinate units or responsibilities."""
    if session.scalar(select(func.count(Unit.id)).where(Unit.parent_id == unit.id)):
        raise ValidationFailed(f"“{unit.name}”下还有下级单位，不能删除。")
    if session.scalar(select(func.count(Operator.id)).where(Operator.unit_id == unit.id)):
        raise ValidationFailed(f"“{unit.name}”下还有操作人员，不能删除；可将其停用。")
    if unit.competents or unit.divisions:
        raise ValidationFailed(f"“{unit.name}”仍有业务处室分管关系，请先解除。")


@without_autoflush
def validate_division(session: Session, division: Unit) -> None:
    """Check which competent departments a business division is responsible for.

    :raises ValidationFailed: when a chosen unit is not a first-level purchasing unit of the
        same region, or is already the responsibility of another division
    """
    if division.kind is not UnitKind.division:
        raise ValidationFailed("只有业务处室可以设置分管的主管单位。")
    for competent in division.competents:
        if not competent.is_first_level:
            raise ValidationFailed(f"“{competent.name}”不是一级预算单位（主管单位）。")
        if competent.region_id != division.region_id:
            raise ValidationFailed(f"“{competent.name}”不属于{division.region.name}。")
        owner = _current_owner(session, competent, division)
        if owner is not None:
            raise ValidationFailed(
                f"“{competent.name}”已由“{owner.name}”分管，请先在该处室中解除。"
            )


def _current_owner(session: Session, competent: Unit, division: Unit) -> Unit | None:
    owner_id = session.scalar(
        select(division_competent.c.division_id).where(
            division_competent.c.competent_id == competent.id,
            division_competent.c.division_id != division.id,
        )
    )
    return session.get(Unit, owner_id) if owner_id else None


def save_region(session: Session, actor: Operator | None, data: Mapping[str, Any],
                region: Region | None = None) -> Region:
    """区划管理 保存.

    :raises ValidationFailed: as :func:`validate_region`
    """
    return save_record(session, Region, region, data,
                       lambda item, creating: validate_region(session, item))


def delete_region(session: Session, actor: Operator | None, region: Region) -> None:
    """删除 a region nothing belongs to."""
    delete_record(session, region, lambda item: validate_region_delete(session, item))


def save_unit(session: Session, actor: Operator | None, data: Mapping[str, Any],
              unit: Unit | None = None) -> Unit:
    """单位管理 保存.

    :raises ValidationFailed: as :func:`validate_unit`
    """
    return save_record(session, Unit, unit, data,
                       lambda item, creating: validate_unit(session, item))


def delete_unit(session: Session, actor: Operator | None, unit: Unit) -> None:
    """删除 a unit nothing refers to."""
    delete_record(session, unit, lambda item: validate_unit_delete(session, item))


def save_division(session: Session, actor: Operator | None, data: Mapping[str, Any],
                  division: Unit | None = None) -> Unit:
    """业务处室分管 保存: the competent departments a division is responsible for.

    :raises ValidationFailed: as :func:`validate_division`
    """
    return save_record(session, Unit, division, data,
                       lambda item, creating: validate_division(session, item))
