"""角色定制: unit roles backed by FAB roles whose permissions follow the ticked functions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_appbuilder.security.sqla.models import Permission, PermissionView, Role, ViewMenu
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from app.permissions import FUNCTIONS_BY_CODE, SYS_ADMIN
from app.services.base import without_autoflush
from app.services.errors import PermissionDenied, ValidationFailed
from app.services.records import delete_record, save_record
from models import Operator, Unit, UnitRole

FAB_ROLE_NAME_MAX = 64


def _role_name(unit: Unit, name: str) -> str:
    # FAB role names are global; a unit's role is namespaced by the unit code.
    return f"{unit.code}/{name}"


@without_autoflush
def prepare_unit_role(session: Session, item: UnitRole, actor: Operator | None) -> None:
    """Validate a unit role and keep its FAB role and permissions in line with it.

    :raises ValidationFailed: on an empty or duplicate 类别名称
    :raises PermissionDenied: when the actor manages another unit
    """
    item.name = (item.name or "").strip()
    item.description = (item.description or "").strip()
    if actor is not None and actor.post_code != SYS_ADMIN:
        if actor.unit_id is None:
            raise PermissionDenied("您的账号未关联单位，不能定制角色。")
        if item.id is not None and item.unit_id != actor.unit_id:
            raise PermissionDenied("只能定制本单位的角色。")
        item.unit_id = actor.unit_id
    unit = session.get(Unit, item.unit_id) if item.unit_id else None
    if unit is None:
        raise ValidationFailed("请选择所属单位。", "unit")
    item.unit = unit
    if not item.name:
        raise ValidationFailed("类别名称不能为空。", "name")
    # The FAB role is named "<unit code>/<name>" and FAB allows 64 characters for it.
    limit = min(50, FAB_ROLE_NAME_MAX - len(unit.code) - 1)
    if len(item.name) > limit:
        raise ValidationFailed(f"类别名称不能超过{limit}个字。", "name")
    clash = select(UnitRole.id).where(
        UnitRole.unit_id == unit.id, UnitRole.name == item.name, UnitRole.id != item.id
    )
    if session.scalar(clash):
        raise ValidationFailed(f"本单位已有类别名称为“{item.name}”的角色。", "name")
    for function in item.functions:
        if function.code not in FUNCTIONS_BY_CODE:
            raise ValidationFailed(f"功能权限“{function.name}”已停用，请取消勾选。", "functions")
    _sync_fab_role(session, item, unit)


def _sync_fab_role(session: Session, item: UnitRole, unit: Unit) -> None:
    role = item.role or (session.get(Role, item.role_id) if item.role_id else None)
    if role is None:
        role = Role(name=_role_name(unit, item.name))
        session.add(role)
        item.role = role
    role.name = _role_name(unit, item.name)
    wanted = {
        grant for function in item.functions for grant in FUNCTIONS_BY_CODE[function.code].grants
    }
    role.permissions = list(permission_views(session, wanted))


def permission_views(session: Session, wanted: set[tuple[str, str]]) -> list[PermissionView]:
    """The FAB permission-view rows matching ``wanted`` (permission, view) pairs."""
    if not wanted:
        return []
    query = (
        select(PermissionView)
        .join(PermissionView.permission)
        .join(PermissionView.view_menu)
        .where(or_(*(and_(Permission.name == p, ViewMenu.name == v) for p, v in wanted)))
    )
    return list(session.scalars(query))


@without_autoflush
def validate_unit_role_delete(session: Session, item: UnitRole, actor: Operator | None) -> None:
    """Refuse to delete another unit's role; the FAB role goes with the unit role."""
    if actor is not None and actor.post_code != SYS_ADMIN and item.unit_id != actor.unit_id:
        raise PermissionDenied("只能定制本单位的角色。")
    holders = session.scalars(select(Operator).where(Operator.unit_roles.contains(item))).all()
    if holders:
        names = "、".join(op.first_name for op in holders[:5])
        raise ValidationFailed(
            f"角色“{item.name}”仍分配给{names}等{len(holders)}人，请先取消分配。"
        )
    if item.role is not None:
        session.delete(item.role)


def save_unit_role(session: Session, actor: Operator | None, data: Mapping[str, Any],
                   role: UnitRole | None = None) -> UnitRole:
    """角色定制 保存: a role of the actor's unit with its ticked 功能权限.

    :raises PermissionDenied: for another unit's role
    :raises ValidationFailed: as :func:`prepare_unit_role`
    """
    return save_record(session, UnitRole, role, data,
                       lambda item, creating: prepare_unit_role(session, item, actor))


def delete_unit_role(session: Session, actor: Operator | None, role: UnitRole) -> None:
    """删除 a role nobody holds any more."""
    delete_record(session, role, lambda item: validate_unit_role_delete(session, item, actor))
