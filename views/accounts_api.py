"""REST for accounts: 找回密码, changing a (temporary) password, 供应商注册 and 采购人注册."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, current_app, g, request
from flask_appbuilder.api import BaseApi, expose, safe
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields

from app.ratelimit import check, client
from app.services import accounts, registration
from app.transaction import unit_of_work
from models import Supplier, UnitRegistration
from views.accounts import INVALID_LOGIN, deliver_after_response
from views.registration import REGISTRATION_SCOPE
from views.rest import ChineseApiErrors
from views.schemas import identifier
from views.workflow_api import WorkflowRecordApi


class RecoverySchema(Schema):
    """Body of ``POST /api/v1/account/recover``."""

    credit_code = fields.String(required=True)
    phone = fields.String(required=True)


class PasswordSchema(Schema):
    """Body of ``POST /api/v1/account/password``: the current or temporary password."""

    username = fields.String(required=True)
    password = fields.String(required=True)
    new_password = fields.String(required=True)
    confirm = fields.String(required=True)


class SupplierSchema(Schema):
    """Body of ``POST /api/v1/account/supplier``."""

    name = fields.String(required=True)
    credit_code = fields.String(required=True)
    contact_name = fields.String(required=True)
    contact_phone = fields.String(required=True)
    legal_name = fields.String(required=True)
    legal_phone = fields.String(required=True)
    bank_account_name = fields.String(required=True)
    bank_account_no = fields.String(required=True)
    bank_name = fields.String(required=True)
    password = fields.String(required=True)
    confirm = fields.String(required=True)


class UnitSchema(Schema):
    """Body of ``POST /api/v1/account/unit`` (采购人注册)."""

    region_id = identifier(required=True)
    parent_id = identifier(load_default=None, allow_none=True)
    name = fields.String(required=True)
    code = fields.String(required=True)
    credit_code = fields.String(required=True)
    address = fields.String(required=True)
    phone = fields.String(required=True)
    admin_name = fields.String(required=True)
    admin_phone = fields.String(required=True)
    password = fields.String(required=True)
    confirm = fields.String(required=True)


class AccountApi(ChineseApiErrors, BaseApi):
    """Public account endpoints (no token), rate-limited like the pages."""

    resource_name = "account"
    openapi_spec_tag = "账号"

    def _body(self, schema: Schema) -> dict[str, Any]:
        return schema.load(request.get_json(silent=True) or {})

    def _call(self, schema: Schema, call: Callable[[dict[str, Any]], Response],
              deliver: bool = False) -> Response:
        try:
            body = self._body(schema)
        except ValidationError as err:
            return self.response_422(message=err.messages)
        # ``deliver``: SMS the call queued leave after the answer (its timing tells nothing).
        return self.run(lambda session: call(body),
                        deliver_after_response if deliver else lambda response: response)

    @expose("/recover", methods=["POST"])
    @safe
    def recover(self) -> Response:
        """找回密码: the same answer whether or not the code and phone matched.
        ---
        post:
          requestBody:
            required: true
            content:
              application/json:
                schema: RecoverySchema
          responses:
            200:
              description: 已受理
            422:
              description: 统一社会信用代码或手机号格式不正确
            429:
              description: 操作过于频繁
        """
        try:
            body = self._body(RecoverySchema())
        except ValidationError as err:
            return self.response_422(message=err.messages)
        with unit_of_work() as session:
            refused = accounts.request_recovery(session, body["credit_code"], body["phone"],
                                                client())
        if refused:
            return self.refusal(refused)
        return deliver_after_response(self.response(200, message=accounts.recovery_answer()))

    @expose("/password", methods=["POST"])
    @safe
    def password(self) -> Response:
        """修改密码 with the current or a temporary password (the forced change over REST).
        ---
        post:
          requestBody:
            required: true
            content:
              application/json:
                schema: PasswordSchema
          responses:
            200:
              description: 密码修改成功！
            401:
              description: 用户名或密码错误、账号锁定
        """
        def run(body: dict[str, Any]) -> Response:
            check("login-client", client(), "LOGIN_RATE_LIMIT")
            # A refused new password must not spend a temporary one.
            accounts.new_password_hash(body["new_password"], body["confirm"])
            g.accept_temporary_password = True
            sm = current_app.appbuilder.sm
            user = sm.auth_user_db(body["username"].strip(), body["password"])
            if user is None:
                return self.response(401, message=g.get("login_refusal") or INVALID_LOGIN)
            accounts.change_password(self.appbuilder.session, user, body["new_password"],
                                     body["confirm"])
            return self.response(200, message=accounts.PASSWORD_CHANGED)
        return self._call(PasswordSchema(), run)

    @expose("/supplier", methods=["POST"])
    @safe
    def supplier(self) -> Response:
        """供应商注册; the login name is the 统一社会信用代码.
        ---
        post:
          requestBody:
            required: true
            content:
              application/json:
                schema: SupplierSchema
          responses:
            201:
              description: 已受理（代码已注册时同样答复，不新建账号，并短信通知注册手机）
            422:
              description: 内容不正确（如统一社会信用代码校验位错误）
        """
        def run(body: dict[str, Any]) -> Response:
            password, confirm = body.pop("password"), body.pop("confirm")
            username = accounts.register_supplier(self.appbuilder.session, Supplier(**body),
                                                  password, confirm, client())
            return self.response(201, username=username,
                                 message=accounts.registration_answer(username))
        return self._call(SupplierSchema(), run, deliver=True)

    @expose("/unit", methods=["POST"])
    @safe
    def unit(self) -> Response:
        """采购人注册: the unit waits for its 市采购办's approval.
        ---
        post:
          requestBody:
            required: true
            content:
              application/json:
                schema: UnitSchema
          responses:
            201:
              description: 已受理，待审核（代码已注册时同样答复，不新建单位，并短信通知原管理员）
        """
        def run(body: dict[str, Any]) -> Response:
            username = registration.register_unit(
                self.appbuilder.session, registration.RegistrationInput(**body), client())
            return self.response(201, username=username,
                                 message=registration.registration_answer(username))
        return self._call(UnitSchema(), run, deliver=True)


class UnitRegistrationApi(WorkflowRecordApi):
    """采购人注册信息: read, 提交 again after a return, history (review via /api/v1/tasks/)."""

    resource_name = "unit_registration"
    record_type = registration.RECORD
    datamodel = SQLAInterface(UnitRegistration)
    base_filters = REGISTRATION_SCOPE
    base_permissions = ["can_get", "can_submit", "can_history"]
    list_columns = show_columns = ["id", "unit.name", "unit.code", "credit_code", "address",
                                   "phone", "admin.username", "status", "created_on"]
    list_title = show_title = _l("采购人注册信息")
    label_columns = {"id": "编号", "unit.name": "单位名称", "unit.code": "预算单位编码",
                     "credit_code": "统一社会信用代码", "address": "单位地址", "phone": "单位电话",
                     "admin.username": "管理员账号", "status": "状态", "created_on": "注册时间"}
    openapi_spec_tag = "采购人注册审核"
