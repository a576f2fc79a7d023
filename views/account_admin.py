"""短信记录 and 找回密码记录 for administrators; 供应商信息 for a signed-in supplier."""

from __future__ import annotations

from typing import Any

from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from sqlalchemy import false

from app.scope import current_operator
from app.services.contracts import save_own_supplier
from models import RecoveryAttempt, SmsMessage, Supplier
from views.base import ServiceModelView
from views.contracts import SUPPLIER_DESCRIPTIONS, SUPPLIER_LABELS

SMS_STATUS = {"pending": "待发送", "kept": "已保存（未配置短信网关）", "delivered": "已发送",
              "failed": "发送失败"}
OUTCOMES = {"sent": "已发送临时密码", "no_match": "信息不匹配", "invalid": "格式不正确",
            "limited": "超过频率限制", "sms_limited": "信息匹配，该手机短信次数已满（未发送）"}


class SmsMessageView(ServiceModelView):
    """短信记录: every SMS; a temporary password shows only while it is live and unsent."""

    datamodel = SQLAInterface(SmsMessage)
    base_permissions = ["can_list", "can_show"]
    list_title = show_title = _l("短信记录")
    list_columns = ["created_on", "phone", "purpose", "status", "body"]
    show_columns = [*list_columns, "attempts", "last_error", "delivered_on"]
    search_columns = ["phone", "purpose", "status"]
    base_order = ("id", "desc")
    label_columns = {
        "created_on": _l("时间"), "phone": _l("手机号"), "purpose": _l("用途"),
        "status": _l("状态"), "body": _l("短信内容"), "attempts": _l("发送次数"),
        "last_error": _l("最近错误"), "delivered_on": _l("发送时间"),
    }
    choice_columns = {"status": SMS_STATUS}
    formatters_columns = {
        "status": lambda s: SMS_STATUS.get(s, s),
        "purpose": lambda p: {"password_recovery": "找回密码", "reminder": "待办提醒",
                              "registration_notice": "重复注册提醒"}.get(p, p),
    }


class RecoveryAttemptView(ServiceModelView):
    """找回密码记录: every attempt with its client, code, phone tail and outcome."""

    datamodel = SQLAInterface(RecoveryAttempt)
    base_permissions = ["can_list", "can_show"]
    list_title = show_title = _l("找回密码记录")
    list_columns = ["created_on", "client", "credit_code", "phone_tail", "outcome"]
    show_columns = list_columns
    search_columns = ["client", "credit_code", "outcome"]
    base_order = ("id", "desc")
    label_columns = {
        "created_on": _l("时间"), "client": _l("客户端地址"), "credit_code": _l("统一社会信用代码"),
        "phone_tail": _l("手机尾号"), "outcome": _l("结果"),
    }
    choice_columns = {"outcome": OUTCOMES}
    formatters_columns = {"outcome": lambda o: OUTCOMES.get(o, o)}


class OwnSupplier(BaseFilter):
    """The signed-in supplier's own record only."""

    name = "本供应商"

    def apply(self, query: Any, value: Any) -> Any:
        user = current_operator()
        if user is None or user.supplier_id is None:
            return query.filter(false())
        return query.filter(Supplier.id == user.supplier_id)


class SupplierSelfView(ServiceModelView):
    """供应商信息: a supplier reads its registration and keeps contacts and account current."""

    datamodel = SQLAInterface(Supplier)
    base_filters = [["id", OwnSupplier, None]]
    base_permissions = ["can_list", "can_show", "can_edit"]
    list_title = show_title = _l("供应商信息")
    edit_title = _l("修改供应商信息")
    list_columns = ["name", "credit_code", "contact_name", "contact_phone"]
    show_columns = ["name", "credit_code", "contact_name", "contact_phone", "legal_name",
                    "legal_phone", "bank_account_name", "bank_account_no", "bank_name", "sme",
                    "created_on"]
    edit_columns = ["contact_name", "contact_phone", "legal_name", "legal_phone",
                    "bank_account_name", "bank_account_no", "bank_name", "sme"]
    search_columns = ["name", "credit_code"]
    label_columns = SUPPLIER_LABELS
    description_columns = SUPPLIER_DESCRIPTIONS

    save_command = staticmethod(save_own_supplier)
