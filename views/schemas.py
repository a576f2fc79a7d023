"""REST input: explicit schemas of plain values and ids, shared field types.

A reference is loaded as ``<name>_id`` (keeping FAB's key ``<name>`` with ``data_key`` where
clients already send it); a collection as its relationship's name with a list of ids. The
commands check every id's scope.
"""

from __future__ import annotations

import enum
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from models import ReductionKind
from models.values import MAX_ID

NO_RECORD = "所选记录不存在。"


class Choice(fields.Field):
    """An enum member given by its code (``balance``) or its Chinese name (合同签订后结余资金)."""

    def __init__(self, enum_type: type[enum.Enum], label: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.enum_type, self.label = enum_type, label

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> enum.Enum:
        for member in self.enum_type:
            if value in (member.name, member.value):
                return member
        names = "、".join(str(m.value) for m in self.enum_type)
        raise ValidationError(f"{self.label or '选项'}无效，可选：{names}。")

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        return None if value is None else value.value


def identifier(**kwargs: Any) -> fields.Integer:
    """An id: a whole number; one beyond the INTEGER column names no record."""
    kwargs.setdefault("strict", True)
    return fields.Integer(validate=validate.Range(max=MAX_ID, error=NO_RECORD), **kwargs)


def reference(key: str, required: bool = True) -> fields.Integer:
    """The id of a referenced record, sent under ``key``."""
    return identifier(required=required, data_key=key, allow_none=not required)


class SpendingReductionBody(Schema):
    """Body of ``POST``/``PUT /api/v1/spending_reduction/``."""

    spending_plan_id = reference("spending_plan")
    kind = Choice(ReductionKind, label="调减类型", required=True)
    amount = fields.String(required=True)
    reason = fields.String(required=True)


class PaymentBody(Schema):
    """Body of ``POST``/``PUT /api/v1/payment/``; ``spending_plan`` is empty for own funds."""

    contract_id = reference("contract")
    spending_plan_id = reference("spending_plan", required=False)
    amount = fields.String(required=True)
    pay_to_migrant = fields.Boolean(load_default=False)


class AnnouncementBody(Schema):
    """Body of ``POST``/``PUT /api/v1/bid_change_announcement/``."""

    project_id = reference("project")
    title = fields.String(required=True)
    content = fields.String(required=True)


class UnitRoleBody(Schema):
    """Body of ``POST``/``PUT /api/v1/unit_role/``; ``functions`` are 功能权限 ids."""

    name = fields.String(required=True)
    description = fields.String(load_default="")
    functions = fields.List(identifier(), load_default=list)


class OperatorBody(Schema):
    """Body of ``PUT /api/v1/operator/<id>`` (``POST`` adds the initial ``password``)."""

    first_name = fields.String(required=True, validate=validate.Length(min=1, max=20))
    phone = fields.String(required=True)
    internal_review = fields.Boolean(load_default=False)
    unit_roles = fields.List(identifier(), load_default=list)
    active = fields.Boolean(load_default=True)


class OperatorPostBody(OperatorBody):
    """Body of ``POST /api/v1/operator/``; the password is never echoed back."""

    password = fields.String(required=True, load_only=True)
