"""REST for 采购失败登记 (JWT, scoped like the page): list, show, record, delete."""

from __future__ import annotations

from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields

from app.scope import UNIT_SCOPE
from models import ProcurementFailure
from views.changes import FailureRules
from views.rest import ServiceRestApi
from views.schemas import identifier


class FailureBodySchema(Schema):
    """Body of ``POST /api/v1/procurement_failure/``: the plan, 失败日期 and 失败原因."""

    plan_id = identifier(required=True)
    failed_on = fields.Date(required=True)
    reason = fields.String(required=True)


class ProcurementFailureApi(FailureRules, ServiceRestApi):
    """采购失败登记: the failures of the caller's unit; a mistaken one is deleted, not changed."""

    resource_name = "procurement_failure"
    datamodel = SQLAInterface(ProcurementFailure)
    base_filters = UNIT_SCOPE
    base_permissions = ["can_get", "can_post", "can_delete"]
    include_route_methods = {"get", "get_list", "post", "delete"}
    body_schema = FailureBodySchema
    list_columns = show_columns = ["id", "plan_id", "plan.plan_number", "method", "failed_on",
                                   "reason", "created_on"]
    label_columns = {"plan_id": _l("失败项目"), "plan.plan_number": _l("政府采购计划编号")}
    list_title = show_title = _l("采购失败登记")
    openapi_spec_tag = "采购失败登记"
    order_columns = ["id", "failed_on", "created_on"]
    base_order = ("id", "desc")
