"""What every clerk-filed record shares: who may file it, when it may change, how it reads."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Protocol, TypeVar

from sqlalchemy import inspect, select
from sqlalchemy.orm import Mapped, Session

from app.permissions import CLERK
from app.services.errors import NotEditable, NotInScope, PermissionDenied, ValidationFailed
from models import IntentionStatus, Operator, UnitKind
from models.values import valid_id
from workflow import Status
from workflow.engine import STATUS_LABELS

EDITABLE = {Status.draft, Status.returned, Status.withdrawn}


# Every status a record shows: the workflow's, and 已公开 of a 采购意向.
STATUS_NAMES: dict[str, str] = {status.value: label for status, label in STATUS_LABELS.items()}
STATUS_NAMES[IntentionStatus.published] = "已公开"


class ClerkRecord(Protocol):
    """A record a clerk files for their unit: whose it is, who created it, where it stands."""

    id: int
    unit_id: int
    created_by_id: int
    status: str


class StatusColumns(Protocol):
    """A mapped class with an ``id`` and a ``status`` column (read on the class)."""

    id: ClassVar[Mapped[int]]
    status: ClassVar[Mapped[str]]


def status_label(status: str | None) -> str:
    """Chinese name of a record's status (a workflow status or an intention's); unknown as is."""
    return STATUS_NAMES.get(status or "", status or "")


def optional_text(value: str | None, label: str, limit: int | None = 200, *,
                  field: str | None = None) -> str:
    """Stripped text, possibly empty, at most ``limit`` characters (``None``: no limit).

    :raises ValidationFailed: naming ``label`` (and ``field`` when given)
    """
    text = (value or "").strip()
    if limit is not None and len(text) > limit:
        raise ValidationFailed(f"{label}不能超过{limit}个字。", field=field)
    return text


def required_text(value: str | None, label: str, limit: int | None = 200, *,
                  field: str | None = None) -> str:
    """Stripped text that must be present and at most ``limit`` characters (``None``: no limit).

    :raises ValidationFailed: naming ``label`` (and ``field`` when given)
    """
    text = optional_text(value, label, limit, field=field)
    if not text:
        raise ValidationFailed(f"请填写{label}。", field=field)
    return text


PENDING_UNIT = "本单位注册信息尚未通过市采购办审核，暂不能办理业务。"


def clerk_of(actor: Operator | None, business: str = "此项业务") -> Operator:
    """The actor, if they are a clerk (经办岗) of an active purchasing unit: the one clerk guard.

    :param business: what the refusal says only clerks may do, e.g. 采购意向
    :raises PermissionDenied: otherwise
    """
    unit = actor.unit if actor is not None and actor.unit_id is not None else None
    if (actor is None or actor.post_code != CLERK or unit is None
            or unit.kind is not UnitKind.purchaser):
        raise PermissionDenied(f"只有采购单位经办岗可以办理{business}。")
    if not unit.active:
        raise PermissionDenied(PENDING_UNIT)
    return actor


def unit_id_of(clerk: Operator) -> int:
    """The id of the unit of an operator :func:`clerk_of` accepted (a clerk always has one).

    :raises PermissionDenied: for an operator without a unit
    """
    if clerk.unit_id is None:
        raise PermissionDenied("您的账号未关联单位。")
    return clerk.unit_id


M = TypeVar("M")


def own_record(session: Session, model: type[M], pk: Any, unit_id: int | None, what: str,
               field: str) -> M:
    """The record ``pk`` of ``model`` if it belongs to ``unit_id``; the one scope check of ids.

    :param what: the record's Chinese name, e.g. 用款计划
    :raises NotInScope: naming ``field`` when it is missing, another unit's or not an id
    """
    record = session.get(model, pk) if valid_id(pk) else None
    if record is None or getattr(record, "unit_id", None) != unit_id or unit_id is None:
        raise NotInScope(f"请选择本单位的{what}。", field=field)
    return record


def claim(item: ClerkRecord, actor: Operator | None, creating: bool) -> Operator:
    """A new record belongs to the clerk's unit as a draft; an old one must be theirs already.

    A draft is :attr:`workflow.Status.draft`, the same value as a payment's
    :attr:`models.PaymentStatus.draft`.

    :raises PermissionDenied: for another unit's record or a non-clerk
    """
    clerk = clerk_of(actor)
    if creating:
        item.unit_id, item.created_by_id, item.status = unit_id_of(clerk), clerk.id, Status.draft
    elif item.unit_id != clerk.unit_id:
        raise PermissionDenied("只能办理本单位的业务。")
    return clerk


def ensure_editable(session: Session, model: type[StatusColumns], item: ClerkRecord) -> None:
    """A record in review or completed can no longer change (its stored status decides).

    :raises ValidationFailed: naming the current status
    """
    stored = session.scalar(select(model.status).where(model.id == item.id))
    if stored is not None and stored not in EDITABLE:
        raise NotEditable(f"当前状态为“{status_label(stored)}”，不能修改。")


def assign(session: Session, item: Any, data: Mapping[str, Any],
           missing: Mapping[str, str] | None = None) -> None:
    """Copy plain input onto a record: columns as given, references by id only.

    ``data`` holds column names (``spending_plan_id``) and, for a collection, the
    relationship's name with a list of ids. A reference is written to its foreign-key column,
    never as an object, so the command's scope checks read the id the input named. The ids'
    scope is for the command to check; an id of a collection that does not exist is refused.

    :param missing: the message for a collection with an unknown id, by field
    :raises NotInScope: naming the collection field
    """
    with session.no_autoflush:
        _assign(session, item, data, missing or {})


def _assign(session: Session, item: Any, data: Mapping[str, Any],
            missing: Mapping[str, str]) -> None:
    mapper = inspect(type(item))
    for key, value in data.items():
        if key in mapper.relationships:
            relation = mapper.relationships[key]
            if not relation.uselist:
                raise TypeError(f"{key}: pass the foreign key column, not the relationship")
            ids = list(dict.fromkeys(value or []))
            if not all(valid_id(i) for i in ids):
                raise NotInScope(missing.get(key, "所选项目不存在或不可选。"), field=key)
            found = list(session.scalars(select(relation.mapper.class_)
                                         .where(relation.mapper.primary_key[0].in_(ids))))
            if len(found) != len(ids):
                raise NotInScope(missing.get(key, "所选项目不存在或不可选。"), field=key)
            by_id = {row.id: row for row in found}
            setattr(item, key, [by_id[i] for i in ids])
        elif key in mapper.columns:
            setattr(item, key, value)
    state = inspect(item)
    if state.persistent:
        # A reference loaded before its id changed would still name the old record.
        stale = [r.key for r in mapper.relationships
                 if not r.uselist and any(c.key in data for c in r.local_columns)]
        if stale:
            session.expire(item, stale)


def save_record(session: Session, model: type[M], item: M | None, data: Mapping[str, Any],
                check: Callable[[M, bool], None],
                missing: Mapping[str, str] | None = None) -> M:
    """The shape of every 保存: a new ``model`` (``item`` is None) or ``item``, with ``data``
    assigned (:func:`assign`), checked by ``check(record, creating)`` and added; not committed.

    :raises ServiceError: whatever ``check`` refuses
    """
    record = item if item is not None else model()
    # Nothing is written before the rules have judged the input (a flush of a half-checked
    # record would hit a constraint, or the database's own parsing, first).
    with session.no_autoflush:
        assign(session, record, data, missing)
        check(record, item is None)
    session.add(record)
    return record


def delete_record(session: Session, item: Any, check: Callable[[Any], None]) -> None:
    """删除 a record once ``check(item)`` allows it; not committed."""
    check(item)
    session.delete(item)
