"""计划管理 over REST: 采购计划备案 drafts, then submit, withdraw and history."""

from __future__ import annotations

from typing import Any

from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields
from sqlalchemy.orm import Session

from app.scope import UNIT_SCOPE
from app.services import plans
from models import ProcurementPlan
from views.schemas import identifier
from views.workflow_api import WorkflowRecordApi


class PlanItemSchema(Schema):
    """One 采购内容 line in the API."""

    catalogue_item_id = identifier(required=True)
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
    intention_id = identifier(load_default=None, allow_none=True)
    unlinked_reason = fields.String(load_default="")
    items = fields.List(fields.Nested(PlanItemSchema), load_default=list)
    fundings = fields.Dict(keys=identifier(strict=False), values=fields.String(),
                           load_default=dict)


class ProcurementPlanApi(WorkflowRecordApi):
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
    # The plan's page is a template of its own; its labels are these.
    label_columns = {"fiscal_amount": "财政资金", "own_amount": "自有资金",
                     "has_imports": "含进口产品", "intention_id": "关联的采购意向"}
    list_title = show_title = _l("采购计划备案")
    openapi_spec_tag = "采购计划备案"
    body_schema = PlanBodySchema
    partial_put = False
    # The multipart parts (also what the OpenAPI document lists).
    file_fields = ("import_proof", "unlinked_proof")

    def save(self, session: Session, actor: Any, data: dict[str, Any],
             item: ProcurementPlan | None) -> ProcurementPlan:
        items = [plans.ItemInput(
            line["catalogue_item_id"], line["quantity"], line["amount"], line["method"],
            line["method_reason"], line["organisation"], line["procurement_form"],
        ) for line in data["items"]]
        uploads = {key: self.upload(key) for key in self.file_fields}
        return plans.save_plan(session, actor, plans.PlanInput(**{**data, "items": items}),
                               uploads, item)
