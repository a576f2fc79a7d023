"""计划管理 over REST: 采购计划备案 drafts, then submit, withdraw and history."""

from __future__ import annotations

from flask import Response, request
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields

from app.scope import UNIT_SCOPE, current_operator
from app.services import plans
from app.services.errors import ServiceError
from models import ProcurementPlan
from views.base import request_body
from views.upload_api import NOT_JSON, UploadRecordApi


class PlanItemSchema(Schema):
    """One 采购内容 line in the API."""

    catalogue_item_id = fields.Integer(required=True)
    quantity = fields.String(required=True)
    amount = fields.String(required=True)
    method = fields.String(load_default="")
    method_reason = fields.String(load_default="")
    organisation = fields.String(load_default="")
    procurement_form = fields.String(load_default="")


class PlanBodySchema(Schema):
    """Body of ``POST``/``PUT /api/v1/procurement_plan/``; amounts are strings (Decimal)."""

    project_name = fields.String(load_default="")
    fund_source = fields.String(required=True)
    fiscal_amount = fields.String(load_default="0")
    own_amount = fields.String(load_default="0")
    has_imports = fields.Boolean(load_default=False)
    competent_review = fields.Boolean(load_default=False)
    linked = fields.Boolean(load_default=None, allow_none=True)
    intention_id = fields.Integer(load_default=None, allow_none=True)
    unlinked_reason = fields.String(load_default="")
    items = fields.List(fields.Nested(PlanItemSchema), load_default=list)
    fundings = fields.Dict(keys=fields.Integer(), values=fields.String(), load_default=dict)


class ProcurementPlanApi(UploadRecordApi):
    """采购计划备案 over REST: create and change drafts, then submit, withdraw and history.

    Proof files (进口产品证明材料, 不关联意向说明材料) come as multipart parts ``import_proof`` and
    ``unlinked_proof`` with the JSON in a part named ``data``; without files a JSON body is enough.
    """

    resource_name = "procurement_plan"
    record_type = plans.RECORD
    datamodel = SQLAInterface(ProcurementPlan)
    base_filters = UNIT_SCOPE
    base_permissions = ["can_get", "can_post", "can_put", "can_submit", "can_withdraw",
                        "can_history"]
    list_columns = show_columns = [
        "id", "plan_number", "project_name", "fund_source", "fiscal_amount", "own_amount",
        "has_imports", "linked", "intention_id", "status", "created_on", "completed_on",
    ]
    list_title = show_title = _l("采购计划备案")
    openapi_spec_tag = "采购计划备案"

    def _body(self) -> plans.PlanInput:
        data = request_body(PlanBodySchema())
        data["items"] = [plans.ItemInput(
            item["catalogue_item_id"], item["quantity"], item["amount"], item["method"],
            item["method_reason"], item["organisation"], item["procurement_form"],
        ) for item in data["items"]]
        return plans.PlanInput(**data)

    def _save(self, item: ProcurementPlan, creating: bool) -> Response:
        plan = None if creating else item
        try:
            body = self._body()
        except (ValidationError, ValueError) as err:
            return self.response_422(message=getattr(err, "messages", NOT_JSON))
        uploads = {key: request.files.get(key) for key in ("import_proof", "unlinked_proof")}
        try:
            saved = plans.save_plan(self.db_session, current_operator(), body, uploads, plan)
        except ServiceError as exc:
            self.db_session.rollback()
            return self.response(exc.status, message=exc.message)
        return self.response(201 if plan is None else 200, id=saved.id,
                             result=self.show_model_schema.dump(saved))
