"""Rules for operators (操作人员): who may create whom, generated accounts, passwords."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.passwords import PasswordPolicyError, hash_password
from app.permissions import (
    CLERK,
    INTERNAL_REVIEWER,
    POSTS_BY_CODE,
    SYS_ADMIN,
    UNIT_OPERATOR_POSTS,
)
from app.services.base import without_autoflush
from app.services.errors import NotInScope, PermissionDenied, ValidationFailed
from app.services.records import delete_record, save_record
from models import Operator, Post, Unit

MOBILE = re.compile(r"^1[3-9]\d{9}$")
USERNAME = re.compile(r"^[A-Za-z0-9_.-]{3,64}$")
PLACEHOLDER_EMAIL_DOMAIN = "operators.invalid"


def _unit_admin(actor: Operator | None) -> Operator | None:
    """The actor if they manage their own unit's operators only; None for the system
    administrator and for a trusted caller without a person (the CLI, the demo loader)."""
    return None if actor is None or actor.post_code == SYS_ADMIN else actor


def end_sessions(session: Session, operator: Operator) -> None:
    """End every session cookie, access token and refresh token issued to ``operator`` so far.

    Each carries the account's ``credential_version`` (:meth:`models.Operator.get_id`);
    raising it makes every earlier one refer to no one. Called by a password change or
    reset, deactivation and logout; not committed here.

    :param operator: the account whose sessions end
    """
    # One UPDATE in the database, not read-then-write: two endings at once both count.
    session.execute(update(Operator).where(Operator.id == operator.id)
                    .values(credential_version=Operator.credential_version + 1)
                    .execution_options(synchronize_session=False))
    session.expire(operator, ["credential_version"])


def post_by_code(session: Session, code: str) -> Post:
    """Return the post with ``code``; posts are created by migrations and ``flask setup``."""
    post = session.scalar(select(Post).where(Post.code == code))
    if post is None:
        raise ValidationFailed(f"岗位“{code}”不存在，请先执行 flask setup。")
    return post


def generate_username(session: Session, unit: Unit) -> str:
    """Next free login account of a unit: its code followed by a three-digit number."""
    taken = set(
        session.scalars(select(Operator.username).where(Operator.username.like(f"{unit.code}%")))
    )
    number = 1
    while f"{unit.code}{number:03d}" in taken:
        number += 1
    return f"{unit.code}{number:03d}"


def change_contact(session: Session, operator: Operator, name: str | None,
                   phone: str | None) -> None:
    """个人信息: a person changes their own name and mobile phone.

    :raises ValidationFailed: as :func:`validate_contact`
    """
    operator.first_name, operator.phone = name or "", phone or ""
    validate_contact(operator)


def validate_contact(item: Operator) -> None:
    """Normalise and check the name and mobile phone of an operator.

    :raises ValidationFailed: on an empty or over-long name or a malformed phone number
    """
    item.first_name = (item.first_name or "").strip()
    item.last_name = ""
    item.phone = (item.phone or "").strip()
    if not item.first_name:
        raise ValidationFailed("姓名不能为空。", "first_name")
    if len(item.first_name) > 20:
        raise ValidationFailed("姓名不能超过20个字。", "first_name")
    if not MOBILE.match(item.phone):
        raise ValidationFailed("请输入11位手机号码。", "phone")


@without_autoflush
def prepare_operator(
    session: Session, item: Operator, actor: Operator | None, *, creating: bool
) -> None:
    """Validate and complete an operator before it is saved, from any entry point.

    A unit administrator's operators always belong to the administrator's unit and hold
    经办岗 or 内部审核岗 according to 内部审核标志; the system administrator chooses unit
    and post. On creation ``item.password`` holds the plain initial password, which is
    checked against the policy and replaced by its hash.

    :raises ValidationFailed: on a missing or malformed field
    :raises PermissionDenied: when the actor may not manage this operator
    """
    validate_contact(item)
    manager = _unit_admin(actor)
    if manager is None:
        _complete_admin_choice(session, item)
    else:
        _complete_unit_admin_choice(session, item, manager)
    if item.active is None:
        item.active = True
    for unit_role in item.unit_roles:
        if unit_role.unit_id != item.unit_id:
            raise NotInScope(f"角色“{unit_role.name}”不属于本单位。", "unit_roles")
    if actor is not None and item.id == actor.id and not item.active:
        raise ValidationFailed("不能停用自己的账号。", "active")
    if creating:
        _complete_new_account(session, item)
    elif not item.active and session.scalar(select(Operator.active)
                                            .where(Operator.id == item.id)):
        # Inactive accounts are refused anyway; this keeps a later re-activation from
        # reviving what was issued before.
        end_sessions(session, item)


def _complete_admin_choice(session: Session, item: Operator) -> None:
    # Ids, not the relationships: a form or REST body names its choice by id.
    post = session.get(Post, item.post_id) if item.post_id else item.post
    if post is None:
        raise ValidationFailed("请选择岗位。", "post")
    unit = session.get(Unit, item.unit_id) if item.unit_id else item.unit
    spec = POSTS_BY_CODE.get(post.code)
    if unit is None and post.code != SYS_ADMIN:
        raise ValidationFailed("请选择所属单位。", "unit")
    if unit is not None and spec is not None and spec.unit_kind:
        if unit.kind.name != spec.unit_kind:
            raise ValidationFailed(
                f"岗位“{post.name}”不能设在{unit.kind.value}“{unit.name}”。", "post"
            )
    if post.code == "competent_reviewer" and unit is not None and not unit.is_first_level:
        raise ValidationFailed("主管单位审核岗只能设在一级预算单位（主管单位）。", "post")
    item.internal_review = post.code == INTERNAL_REVIEWER


def _complete_unit_admin_choice(session: Session, item: Operator, actor: Operator) -> None:
    if actor.unit_id is None:
        raise PermissionDenied("您的账号未关联单位，不能管理操作人员。")
    if item.id is not None and item.unit_id != actor.unit_id:
        raise PermissionDenied("只能管理本单位的操作人员。")
    current = session.get(Post, item.post_id) if item.post_id else item.post
    if item.id is not None and current is not None and current.code not in UNIT_OPERATOR_POSTS:
        raise PermissionDenied(f"岗位为“{current.name}”的人员只能由系统管理员维护。")
    item.unit_id = actor.unit_id
    item.unit = session.get(Unit, actor.unit_id)
    item.post = post_by_code(session, INTERNAL_REVIEWER if item.internal_review else CLERK)


def _complete_new_account(session: Session, item: Operator) -> None:
    if item.username:
        item.username = item.username.strip()
        if not USERNAME.match(item.username):
            raise ValidationFailed("登录账号只能由字母、数字、下划线、点或连字符组成，3至64位。")
        if session.scalar(select(Operator.id).where(Operator.username == item.username)):
            raise ValidationFailed(f"登录账号“{item.username}”已存在。")
    else:
        unit = session.get(Unit, item.unit_id) if item.unit_id else item.unit
        if unit is None:
            raise ValidationFailed("请填写登录账号。")
        item.username = generate_username(session, unit)
    # FAB requires a unique e-mail; operators sign in with their account, so a reserved
    # domain that can never receive mail stands in.
    item.email = f"{item.username}@{PLACEHOLDER_EMAIL_DOMAIN}"
    try:
        item.password = hash_password(item.password or "")
    except PasswordPolicyError as exc:
        raise ValidationFailed(str(exc), "password") from exc


@without_autoflush
def validate_operator_delete(session: Session, item: Operator, actor: Operator | None) -> None:
    """Refuse to delete oneself or an operator outside the actor's remit."""
    if actor is not None and item.id == actor.id:
        raise ValidationFailed("不能删除自己的账号。")
    _may_manage(actor, item)


def _may_manage(actor: Operator | None, item: Operator) -> None:
    """A unit administrator manages their own unit's operators (and themselves); an
    administrator anyone.

    :raises PermissionDenied: otherwise
    """
    manager = _unit_admin(actor)
    if manager is not None:
        if item.unit_id != manager.unit_id:
            raise PermissionDenied("只能管理本单位的操作人员。")
        if item.post_code not in UNIT_OPERATOR_POSTS and item.id != manager.id:
            raise PermissionDenied(f"岗位为“{item.post.name}”的人员只能由系统管理员维护。")


def reset_operator_password(
    session: Session, item: Operator, actor: Operator | None, password: str
) -> None:
    """重置密码 of an operator the actor manages; ends the operator's sessions and tokens.

    Not committed here.

    :raises PermissionDenied: when the actor may not manage this operator
    :raises ValidationFailed: when the password breaks the policy
    """
    _may_manage(actor, item)
    try:
        item.password = hash_password(password)
    except PasswordPolicyError as exc:
        raise ValidationFailed(str(exc), "password") from exc
    item.fail_login_count = 0
    end_sessions(session, item)


def unlock_operator(session: Session, actor: Operator | None, item: Operator) -> None:
    """解除锁定: every client locked out of ``item``'s account by wrong passwords may try again.

    The failure counts (per account and client, and across clients) are keyed on the
    account's ``login_epoch``; raising it leaves every earlier count behind. The failures
    themselves stay for the owner to be told at the next sign-in. Not committed here.

    :raises PermissionDenied: when the actor may not manage this operator
    """
    _may_manage(actor, item)
    # One UPDATE, not read-then-write: two unlocks at once both count.
    session.execute(update(Operator).where(Operator.id == item.id)
                    .values(login_epoch=Operator.login_epoch + 1)
                    .execution_options(synchronize_session=False))
    session.expire(item, ["login_epoch"])


def create_operator(
    session: Session,
    *,
    name: str,
    phone: str,
    password: str,
    post_code: str,
    unit: Unit | None,
    username: str | None = None,
    actor: Operator | None = None,
) -> Operator:
    """Create an operator outside a form (CLI, demo data); added to the session, not committed."""
    item = Operator(
        first_name=name,
        phone=phone,
        password=password,
        unit=unit,
        post=post_by_code(session, post_code),
        username=username,
        internal_review=post_code == INTERNAL_REVIEWER,
        active=True,
    )
    item.unit_roles = []
    prepare_operator(session, item, actor, creating=True)
    session.add(item)
    return item


def save_operator(session: Session, actor: Operator | None, data: Mapping[str, Any],
                  operator: Operator | None = None) -> Operator:
    """操作人员管理 / 全部人员 保存; a new operator's ``password`` is the plain initial one.

    :raises PermissionDenied: when the actor may not manage this operator
    :raises NotInScope: a role of another unit
    :raises ValidationFailed: as :func:`prepare_operator`
    """
    return save_record(session, Operator, operator, data, lambda item, creating:
                       prepare_operator(session, item, actor, creating=creating))


def delete_operator(session: Session, actor: Operator | None, operator: Operator) -> None:
    """删除 an operator the actor manages (never oneself)."""
    delete_record(session, operator,
                  lambda item: validate_operator_delete(session, item, actor))
