"""采购计划备案 and 计划查询 in the panel: the form, its refusals, the picker and the filters."""

from __future__ import annotations

import io
import re
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from models import Intention, ProcurementPlan, SpendingPlan
from tests.support.plans import act, catalogue_id, filed_plan, operator

ADD = "/procurementplanview/add"


def form_data(app: Flask, username: str, **overrides: str) -> dict[str, Any]:
    with app.app_context():
        session = app.appbuilder.session
        clerk = operator(session, username)
        spending = session.scalar(select(SpendingPlan.id).where(
            SpendingPlan.unit_id == clerk.unit_id).order_by(SpendingPlan.external_no))
        data = {"project_name": "办公家具采购", "fund_source": "spending_plan",
                "fiscal_amount": "20000.00", "own_amount": "0", "has_imports": "0",
                f"funding-{spending}": "20000.00",
                "item-0-catalogue": str(catalogue_id(session, "A05010201")),
                "item-0-quantity": "10", "item-0-amount": "20000.00",
                "item-0-method": "open_tender", "item-0-organisation": "decentralised"}
        if clerk.unit.region.code == "zz":
            intention = session.scalar(select(Intention).where(
                Intention.unit_id == clerk.unit_id, Intention.project_name.like("%物业%")))
            data.update(linked="1", intention_id=str(intention.id))
    return {**data, **overrides}


def post(web: Any, data: dict[str, Any], path: str = ADD) -> str:
    payload = {"csrf_token": web.token(path), **data}
    response = web.client.post(path, data=payload, content_type="multipart/form-data",
                               follow_redirects=True)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def plan_count(app: Flask, username: str = "zz_clerk") -> int:
    with app.app_context():
        session = app.appbuilder.session
        return session.scalar(select(func.count(ProcurementPlan.id)).where(
            ProcurementPlan.unit_id == operator(session, username).unit_id))


def test_save_and_submit_from_the_form(app: Flask, login_as: Any) -> None:
    web = login_as("zz_clerk")
    page = post(web, {**form_data(app, "zz_clerk"), "submit_after_save": "1"})
    assert "已保存并提交。" in page and "审核中" in page
    with app.app_context():
        session = app.appbuilder.session
        plan = session.scalar(select(ProcurementPlan).where(
            ProcurementPlan.unit_id == operator(session, "zz_clerk").unit_id)
            .order_by(ProcurementPlan.id.desc()))
        assert plan.project_name == "郑州市第一中学校园物业管理服务项目"
        assert plan.status == "in_review" and plan.items[0].quantity == 10


def test_a_refusal_keeps_what_was_typed(app: Flask, login_as: Any) -> None:
    web = login_as("sj_clerk")
    before = plan_count(app, "sj_clerk")
    page = post(web, form_data(app, "sj_clerk", fiscal_amount="19999.99",
                               project_name="实验室家具"))
    assert "本次采购总金额（财政资金+自有资金）19,999.99 元须等于采购内容金额合计20,000.00 元。" in page
    assert 'value="实验室家具"' in page and 'value="19999.99"' in page
    assert plan_count(app, "sj_clerk") == before


def test_the_picker_offers_only_intentions_30_to_90_days_old(app: Flask, login_as: Any) -> None:
    page = login_as("zz_clerk").get(ADD).get_data(as_text=True)
    options = re.findall(r'<option value="\d+"[^>]*>([^<]*公开，预算[^<]*)</option>', page)
    assert len(options) == 1 and "校园物业管理服务项目" in options[0]
    assert "是否关联采购意向" in page
    other = login_as("sj_clerk").get(ADD).get_data(as_text=True)
    assert "是否关联采购意向" not in other and "需主管部门审核" in other


def test_only_clerks_file_and_in_review_is_locked(app: Flask, login_as: Any) -> None:
    assert login_as("zz_internal").get(ADD).status_code == 403
    admin_page = login_as("admin").get(ADD, follow_redirects=True).get_data(as_text=True)
    assert "只有采购单位经办岗可以办理此项业务。" in admin_page
    pk = filed_plan(app, "zz_clerk")
    web = login_as("zz_clerk")
    # The edit form is not offered (its page says why); a POST anyway is refused by the service.
    offered = web.get(f"/procurementplanview/edit/{pk}", follow_redirects=True)
    assert "当前状态为“审核中”，不能修改。" in offered.get_data(as_text=True)
    page = web.submit(f"/procurementplanview/show/{pk}", form_data(app, "zz_clerk"),
                      post_path=f"/procurementplanview/edit/{pk}", follow=True)
    assert "当前状态为“审核中”，不能修改。" in page.get_data(as_text=True)
    deleted = web.submit("/procurementplanview/list/", {},
                         post_path=f"/procurementplanview/delete/{pk}", follow=True)
    assert "已提交过的采购计划不能删除" in deleted.get_data(as_text=True)
    assert login_as("sj_clerk").get(f"/procurementplanview/show/{pk}").status_code == 404


def test_proofs_download_only_for_the_unit_and_its_reviewers(app: Flask, login_as: Any) -> None:
    web = login_as("zz_clerk")
    data = form_data(app, "zz_clerk", linked="0", unlinked_reason="预算调整新增",
                     submit_after_save="1")
    data["unlinked_proof"] = (io.BytesIO(b"%PDF-1.4 why"), "不关联说明.pdf")
    assert "已保存并提交。" in post(web, data)
    with app.app_context():
        pk = app.appbuilder.session.scalar(select(ProcurementPlan.id).order_by(
            ProcurementPlan.id.desc()))
    path = f"/procurementplanview/download/{pk}/unlinked_proof"
    assert web.get(path).data == b"%PDF-1.4 why"
    assert login_as("zz_sup_first").get(path).status_code == 200
    assert login_as("sj_sup_first").get(path).status_code == 404
    assert web.get(f"/procurementplanview/download/{pk}/import_proof").status_code == 404


def test_plan_query_filters(app: Flask, login_as: Any) -> None:
    done = filed_plan(app, "sj_clerk")
    for username in ("sj_internal", "sj_competent", "sj_div_first", "sj_div_review"):
        act(app, username, done)
    filed_plan(app, "sj_clerk", submit=False)
    web = login_as("sj_clerk")

    def count(query: str) -> int:
        page = web.get(f"/planqueryview/list/?{query}").get_data(as_text=True)
        return int(re.search(r"记录数目:</strong>\s*(\d+)", page).group(1))

    # The demo's completed 网上商城 plan of the unit is there too.
    assert count("") == 3
    assert count("_flt_0_status=已完成") == 2 and count("_flt_0_status=草稿") == 1
    assert count("_flt_0_plan_number=豫财招标") == 1
    assert count("_flt_0_method=open_tender") == 2 and count("_flt_0_method=inquiry") == 0
    assert count("_flt_0_method=online_mall") == 1
    assert "实验中学" not in login_as("zz_clerk").get("/planqueryview/list/").get_data(
        as_text=True)
