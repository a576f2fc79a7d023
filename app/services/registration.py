"""采购人注册 and 采购人注册审核: a unit registers itself and waits for its 市采购办."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.passwords import PasswordPolicyError, hash_password
from app.permissions import UNIT_ADMIN
from app.ratelimit import check
from app.services import workflow as flow
from app.services.base import without_autoflush
from app.services.contracts import check_credit_code
from app.services.errors import ValidationFailed
from app.services.operators import MOBILE, create_operator, generate_username, validate_contact
from app.services.organisation import validate_unit
from app.services.records import PENDING_UNIT, required_text, save_record
from app.services.sms import queue_notices
from app.services.workflow_registry import (
    Accessor,
    RecordType,
    Summary,
    UnitFact,
    WorkflowRegistry,
)
from app.timezone import to_business, utcnow
from models import Operator, Region, Unit, UnitKind, UnitRegistration
from workflow import Status

RECORD = "unit_registration"
PENDING = PENDING_UNIT
UNIT_REGISTERED = ("注册申请已受理。登录账号为 {username}，请牢记账号和密码；注册信息经市采购办"
                   "审核通过后，方可办理业务。如该统一社会信用代码已注册，原账号不变，"
                   "可联系原单位管理员取回。")
UNIT_TAKEN_NOTICE = ("【河南省政府采购网】有人以统一社会信用代码{code}申请采购人注册。"
                     "该代码已注册，原账号不变，未新建单位和账号。如非贵单位操作，请忽略。")


@dataclass
class RegistrationInput:
    """The 采购人注册 form: the unit, then its administrator (预算单位管理员)."""

    region_id: int | None
    parent_id: int | None
    name: str
    code: str
    credit_code: str
    address: str
    phone: str
    admin_name: str
    admin_phone: str
    password: str
    confirm: str


def first_level_units(session: Session, region_id: int | None = None) -> list[Unit]:
    """Registered (active) first-level purchasing units a second-level unit may register under."""
    query = select(Unit).where(Unit.kind == UnitKind.purchaser, Unit.parent_id.is_(None),
                               Unit.active.is_(True)).order_by(Unit.region_id, Unit.code)
    if region_id is not None:
        query = query.where(Unit.region_id == region_id)
    return list(session.scalars(query))


@without_autoflush
def register_unit(session: Session, data: RegistrationInput, client: str) -> str:
    """采购人注册: create the (inactive) unit and its administrator, and send the registration
    to the region's 市采购办.

    A 统一社会信用代码 already registered is answered like a new one (the form tells nobody
    which codes exist): after the same checks of the input, nothing is created and the
    administrators registered under the code are told by SMS (REGISTRATION_NOTICE_RATE_LIMIT
    per phone).

    :returns: the administrator's login account, for :func:`registration_answer`
    :raises ValidationFailed: naming the field, e.g. a parent that is not a registered
        first-level unit, or a region without a 市采购办
    :raises RateLimited: too many registrations from this client
    """
    check("registration", client, "REGISTRATION_RATE_LIMIT")
    region = session.get(Region, data.region_id) if data.region_id else None
    if region is None:
        raise ValidationFailed("请选择所属区划。")
    parent = _parent(session, data.parent_id, region)
    unit = Unit(code=(data.code or "").strip(), name=(data.name or "").strip(),
                kind=UnitKind.purchaser, region=region, parent=parent, active=False)
    validate_unit(session, unit)
    credit_code = check_credit_code(data.credit_code)
    address = required_text(data.address, "单位地址", 200)
    phone = required_text(data.phone, "单位电话", 20)
    if data.password != data.confirm:
        raise ValidationFailed("两次输入的密码不一致。")
    if not MOBILE.match((data.admin_phone or "").strip()):
        raise ValidationFailed("请输入管理员的11位手机号码。")
    phones = _registered_phones(session, credit_code)
    if phones is not None:
        return _answer_taken(session, unit, data, credit_code, phones)
    session.add(unit)
    session.flush()
    admin = create_operator(session, name=data.admin_name, phone=data.admin_phone.strip(),
                            password=data.password, post_code=UNIT_ADMIN, unit=unit)
    session.flush()
    registration = UnitRegistration(unit=unit, admin=admin, credit_code=credit_code,
                                    address=address, phone=phone, status=Status.draft,
                                    created_on=utcnow())
    session.add(registration)
    session.flush()
    flow.submit_record(session, RECORD, registration, admin)
    return str(admin.username)


def _parent(session: Session, parent_id: int | None, region: Region) -> Unit | None:
    """The chosen 上级单位: none, or a registered first-level unit of the region."""
    if not parent_id:
        return None
    parent = session.get(Unit, parent_id)
    if parent is None or parent not in first_level_units(session, region.id):
        raise ValidationFailed("上级单位须为本区划已注册的一级预算单位。")
    return parent


def registration_answer(username: str) -> str:
    """The one answer 采购人注册 gives, whether the code was new or already registered."""
    return UNIT_REGISTERED.format(username=username)


def _registered_phones(session: Session, credit_code: str) -> list[str] | None:
    """The administrators' phones of the registrations under ``credit_code``; None: new."""
    rows = list(session.execute(
        select(UnitRegistration.id, Operator.phone)
        .join(Operator, UnitRegistration.admin_id == Operator.id)
        .where(UnitRegistration.credit_code == credit_code).order_by(UnitRegistration.id)))
    return [phone or "" for _, phone in rows] if rows else None


def _answer_taken(session: Session, unit: Unit, data: RegistrationInput, credit_code: str,
                  phones: list[str]) -> str:
    """The rest of the new path's checks (the administrator, the password), then the notice."""
    validate_contact(Operator(first_name=data.admin_name, phone=data.admin_phone))
    try:
        hash_password(data.password or "")
    except PasswordPolicyError as exc:
        raise ValidationFailed(str(exc), "password") from exc
    username = generate_username(session, unit)
    # Out of the region's and the parent's collections, so that no flush picks the unit up.
    unit.parent = None
    unit.region = None  # type: ignore[assignment]
    queue_notices(session, phones, "registration_notice",
                  UNIT_TAKEN_NOTICE.format(code=credit_code), "REGISTRATION_NOTICE_RATE_LIMIT")
    return username


# What a returned registration corrects besides its own columns: everything 采购人注册 took.
UNIT_FIELDS = ("unit_name", "unit_code", "region_id", "parent_id")
ADMIN_FIELDS = ("admin_name", "admin_phone")
OWN_FIELDS = ("credit_code", "address", "phone")


@without_autoflush
def prepare_registration(session: Session, item: UnitRegistration, actor: Operator | None,
                         creating: bool, data: Mapping[str, Any] | None = None) -> None:
    """Check a registration the unit administrator corrects after it was returned.

    :param data: the corrected unit and administrator (:data:`UNIT_FIELDS`,
        :data:`ADMIN_FIELDS`), applied to the unit and its administrator's account; those
        not given stay as registered
    :raises ValidationFailed: naming the field
    """
    if actor is None or actor.unit_id != item.unit_id or actor.post_code != UNIT_ADMIN:
        raise ValidationFailed("只能修改本单位的注册信息。")
    if item.status not in (Status.returned, Status.withdrawn):
        raise ValidationFailed("只有被退回的注册信息可以修改。")
    item.credit_code = check_credit_code(item.credit_code)
    item.address = required_text(item.address, "单位地址", 200)
    item.phone = required_text(item.phone, "单位电话", 20)
    given = data or {}
    if any(key in given for key in UNIT_FIELDS):
        _correct_unit(session, item.unit, given)
    if any(key in given for key in ADMIN_FIELDS):
        admin = item.admin
        admin.first_name = given.get("admin_name", admin.first_name)
        admin.phone = given.get("admin_phone", admin.phone)
        validate_contact(admin)


def _correct_unit(session: Session, unit: Unit, data: Mapping[str, Any]) -> None:
    """The unit as registered, corrected: checked like a new registration."""
    region: Region | None = unit.region
    if "region_id" in data:
        region = session.get(Region, data["region_id"]) if data["region_id"] else None
    if region is None:
        raise ValidationFailed("请选择所属区划。")
    parent_id = data.get("parent_id", unit.parent_id)
    parent = _parent(session, parent_id, region)
    unit.name = (data.get("unit_name", unit.name) or "").strip()
    unit.code = (data.get("unit_code", unit.code) or "").strip()
    unit.region, unit.parent = region, parent
    validate_unit(session, unit)


def save_registration(session: Session, actor: Operator | None, data: Mapping[str, Any],
                      item: UnitRegistration) -> UnitRegistration:
    """本单位注册信息: the unit administrator corrects a returned registration: the unit
    (name, code, region, parent), the registration and the administrator.

    :raises ValidationFailed: as :func:`prepare_registration`
    """
    own = {key: value for key, value in data.items() if key in OWN_FIELDS}
    return save_record(session, UnitRegistration, item, own, lambda record, creating:
                       prepare_registration(session, record, actor, creating, data))


def _describe(item: UnitRegistration) -> list[tuple[str, str]]:
    unit = item.unit
    return [
        ("单位名称", unit.name), ("单位编码", unit.code), ("所属区划", unit.region.name),
        ("上级单位", unit.parent.name if unit.parent else "（一级预算单位）"),
        ("统一社会信用代码", item.credit_code), ("单位地址", item.address),
        ("单位电话", item.phone), ("管理员", item.admin.first_name),
        ("管理员手机", item.admin.phone or ""), ("登录账号", item.admin.username),
        ("注册时间", to_business(item.created_on).strftime("%Y-%m-%d %H:%M")),
    ]


def _summary(item: UnitRegistration) -> Summary:
    return Summary(item.unit.name, item.credit_code)


def _approve(session: Session, item: UnitRegistration) -> None:
    item.unit.active = True


# What the chain's conditions may read (workflows.yaml, workflow ``unit_registration``).
FIELDS: dict[str, Accessor] = {"region": UnitFact(lambda session, unit: unit.region.code)}


def register(registry: WorkflowRegistry) -> None:
    """Declare the registration's record type and its completion hook."""
    registry.record(RecordType(RECORD, "采购人注册", UnitRegistration, FIELDS, _describe,
                               submitter=UNIT_ADMIN, submitter_label="单位管理员",
                               summary=_summary, summary_loads=("unit",)))
    registry.record_hook("approve_unit_registration", UnitRegistration, _approve)
