"""Every list page and list API costs the same number of queries for 10 rows as for 100 (no N+1).

The lists are found in the app itself: every ModelView ``list``, every ModelRestApi ``get_list``
and every other page without URL arguments must have an entry below (a budget or a reason why it
is not a list), so that a new list cannot escape.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask, url_for
from flask_appbuilder import ModelView
from flask_appbuilder.api import ModelRestApi
from sqlalchemy import event, select

from app.extensions import db
from models import ProcurementPlan
from tests.mall import admin_support as mall_h6
from tests.mall import budget_support as mall_buyer
from tests.mall import catalogue_support as mall_h1
from tests.support import fake_supplier as mall_h3
from tests.support import volume
from tests.support.volume import Seeder


@contextmanager
def counting(app: Flask) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


@dataclass(frozen=True)
class Case:
    """Who opens the list, what rows they see, and how many queries the page may cost."""

    user: str | None  # None: anonymous (public page)
    seeder: Seeder
    budget: int
    rows: int = 100  # rows the page shows when 100 were added (less when it has a fixed size)
    marker: str | None = None  # regex of one row on a custom page
    query: str = ""  # query string of a custom page (FAB lists get their page size of 100)
    # Rows of several record types (the demo's among the seeded ones): each record type on
    # the page costs its own query (bounded by the registry), so 10 rows may cost more.
    mixed: bool = False


CLERK, UNIT_ADMIN, REVIEWER, OFFICE, ADMIN = (
    "pds_clerk", "pds_unitadmin", "pds_internal", "zz_office", "admin")
SUPPLIER = "91410100MA440A1B2D"  # a supplier account sees its own record only
TASK_ROW = r'<tr data-task="\d+"'

# Budgets: what each page costs today plus 2. FAB's permission checks (one per menu entry and
# button) are answered from one query per request (app.security), so they cost little here.
CASES: dict[str, Case] = {
    # 工作台 and the pages that are not FAB lists
    "HomeView.index": Case(REVIEWER, volume.open_tasks, 13, rows=10, marker=TASK_ROW),
    "TaskView.list": Case(REVIEWER, volume.open_tasks, 12, rows=50, marker=TASK_ROW),
    "TaskView.done": Case(REVIEWER, volume.done_tasks, 14, rows=50, marker=TASK_ROW,
                          mixed=True),
    "TaskApi.list_tasks": Case(REVIEWER, volume.open_tasks, 13, query="?page_size=100"),
    "MessageCenterView.index": Case(REVIEWER, volume.notifications, 11, rows=50,
                                    marker=r'<tr data-message="\d+"'),
    # A visitor's menu costs FAB two queries per category (the public role and its
    # permissions, not cached): the 网上商城 category added them (issue 18 answers them once).
    "PublicContractView.index": Case(None, volume.contracts, 23, rows=20,
                                     marker=r'<a href="/public/contracts/\d+">'),
    "PublicIntentionView.index": Case(None, volume.intentions, 23, rows=20,
                                      marker=r'<a href="/public/intentions/\d+">'),
    "PublicBidChangeView.index": Case(None, volume.published_announcements, 23, rows=20,
                                      marker=r'<a href="/public/bid-changes/\d+">'),
    # a clerk's lists
    "IntentionView.list": Case(CLERK, volume.intentions, 12),
    "IntentionApi.get_list": Case(CLERK, volume.intentions, 13),
    "ProcurementPlanView.list": Case(CLERK, volume.plans, 12),
    "ProcurementPlanApi.get_list": Case(CLERK, volume.plans, 13),
    "PlanQueryView.list": Case(CLERK, volume.plans, 14),
    "SpendingPlanView.list": Case(CLERK, volume.plans, 16),
    "SpendingPlanApi.get_list": Case(CLERK, volume.plans, 16),
    "ProcurementFailureView.list": Case(CLERK, volume.failures, 14),
    "ProcurementFailureApi.get_list": Case(CLERK, volume.failures, 13),
    "MethodChangeView.list": Case(CLERK, volume.method_changes, 14),
    "MethodChangeApi.get_list": Case(CLERK, volume.method_changes, 13),
    "SpendingReductionView.list": Case(CLERK, volume.reductions, 14),
    "SpendingReductionApi.get_list": Case(CLERK, volume.reductions, 13),
    "ContractView.list": Case(CLERK, volume.contracts, 14),
    "ContractApi.get_list": Case(CLERK, volume.contracts, 13),
    "MigrantAccountView.list": Case(CLERK, volume.migrant_accounts, 12),
    "PaymentView.list": Case(CLERK, volume.payments, 14),
    "PaymentApi.get_list": Case(CLERK, volume.payments, 13),
    "BidChangeFilingView.list": Case(CLERK, volume.bid_filings, 14),
    "BidChangeFilingApi.get_list": Case(CLERK, volume.bid_filings, 13),
    "BidChangeAnnouncementView.list": Case(CLERK, volume.announcements, 16),
    "BidChangeAnnouncementApi.get_list": Case(CLERK, volume.announcements, 13),
    "ProjectView.list": Case(CLERK, volume.projects, 12),
    # a unit administrator's, a supplier's and the 市采购办's lists
    "OperatorView.list": Case(UNIT_ADMIN, volume.unit_operators, 12),
    "OperatorApi.get_list": Case(UNIT_ADMIN, volume.unit_operators, 13),
    "UnitRoleView.list": Case(UNIT_ADMIN, volume.unit_roles, 13),
    "UnitRoleApi.get_list": Case(UNIT_ADMIN, volume.unit_roles, 13),
    "SupplierSelfView.list": Case(SUPPLIER, volume.suppliers, 12, rows=1),
    "UnitRegistrationView.list": Case(OFFICE, volume.registrations, 13),
    "UnitRegistrationApi.get_list": Case(OFFICE, volume.registrations, 14),
    # 系统管理
    "RoleView.list": Case(ADMIN, volume.roles, 13),
    "RegionView.list": Case(ADMIN, volume.regions, 13),
    "UnitView.list": Case(ADMIN, volume.units, 16),
    "DivisionView.list": Case(ADMIN, volume.divisions, 15),
    "AdminOperatorView.list": Case(ADMIN, volume.all_operators, 16),
    "PostView.list": Case(ADMIN, volume.posts, 12),
    "CatalogueItemView.list": Case(ADMIN, volume.catalogue, 12),
    "SupplierView.list": Case(ADMIN, volume.suppliers, 12),
    "OutboxView.list": Case(ADMIN, volume.outbox, 12),
    "SmsMessageView.list": Case(ADMIN, volume.sms, 12),
    "RecoveryAttemptView.list": Case(ADMIN, volume.recovery_attempts, 12),
    # 网上商城: administration, supervision, exceptions (tests/mall/admin_support.py)
    "MallPolicyView.index": Case(ADMIN, mall_h6.mall_policies, 12, rows=100,
                                 marker=r'<tr data-policy="\d+"'),
    "MallExceptionAdminView.index": Case(ADMIN, mall_h6.mall_exceptions, 12, rows=50,
                                         marker=r'<tr data-exception="\d+"'),
    "MallExceptionView.index": Case(CLERK, mall_h6.mall_exceptions, 12, rows=50,
                                    marker=r'<tr data-exception="\d+"'),
    "MallSupervisionView.index": Case("pds_sup_first", mall_h6.mall_orders, 13, rows=50,
                                      marker=r'<tr data-order="\d+"'),
    "MallStatsView.index": Case("pds_sup_first", mall_h6.mall_orders, 12, rows=1,
                                marker=r'<tr data-unit="\d+"'),
    # 网上商城: catalogue (tests/mall/catalogue_support.py)
    "MallCatalogueView.search": Case(CLERK, mall_h1.mall_products, 12, rows=20,
                                     marker=r'<tr data-product="\d+"'),
    "SupplierOfferView.index": Case(mall_h1.SUPPLIER_A, mall_h1.mall_pending_offers, 12,
                                    rows=50, marker=r'<tr data-offer="\d+"'),
    "OfferReviewView.index": Case(ADMIN, mall_h1.mall_pending_offers, 12, rows=50,
                                  marker=r'<tr data-offer="\d+"'),
    "MallProductView.list": Case(ADMIN, mall_h1.mall_products, 14),
    # 网上商城: the supplier's orders and tokens (tests/support/fake_supplier.py)
    "SupplierOrderView.list": Case(mall_h3.JINGCAI, mall_h3.budget_orders, 12, rows=20,
                                   marker=r'<tr data-order="\d+"'),
    "SupplierTokenView.list": Case(mall_h3.JINGCAI, mall_h3.budget_tokens, 10,
                                   marker=r'<tr data-token="\d+"'),
    # 网上商城: the buyer's plan lines, cart, orders and after-sales (tests/mall/budget_support.py)
    "MallPlanLinesView.index": Case(CLERK, mall_buyer.mall_plan_lines, 13,
                                    marker=r'<tr data-plan-item="\d+"'),
    "MallCartView.index": Case(CLERK, mall_buyer.mall_cart, 15, marker=r'<tr data-line="\d+"'),
    "MallCartApi.list_lines": Case(CLERK, mall_buyer.mall_cart, 16),
    "MallOrderView.index": Case(CLERK, mall_buyer.mall_unit_orders, 13, rows=20,
                                marker=r'<tr data-order="\d+"'),
    "MallOrderApi.list_orders": Case(CLERK, mall_buyer.mall_unit_orders, 14,
                                     query="?page_size=100"),
    "MallAcceptanceView.after_sales": Case(CLERK, mall_buyer.mall_after_sales, 12, rows=20),
    "MallSettlementApi.list_after_sales": Case(CLERK, mall_buyer.mall_after_sales, 13,
                                               query="?page_size=100"),
}

FORM_BUDGET = 17  # 新增合同备案 with the unit's plan lines to choose from

# Pages without URL arguments that show no list of records (forms, sign-in, one record, charts).
NOT_LISTS = {
    "UtilView.back", "LoginView.login", "LoginView.logout", "MenuApi.get_menu_data",
    "PasswordChangeView.change", "ProfileEditView.this_form_get", "ProfileView.userinfo",
    "RecoveryView.recover", "SupplierRegisterView.register", "UnitRegisterView.register",
    "MyPasswordView.this_form_get", "SpendingPlanImportView.upload", "WorkflowChartView.charts",
    "PublicIndexView.index", "MallPolicyView.default", "MallPolicyView.add", "SupplierOfferView.add",
    # Supplier-token API (not JWT): its list is budgeted in tests/mall/test_supplier_api.py.
    "MallSupplierApi.list_orders",
    # 下单 of the lines chosen in the cart (?line=…; without any it goes back to the cart):
    # its rows are the cart's, budgeted with MallCartView.index.
    "MallCartView.checkout",
}


def list_endpoints(app: Flask) -> tuple[set[str], set[str]]:
    """(list endpoints, other argument-less GET endpoints) of every registered view and API."""
    views = {type(v).__name__: v for v in app.appbuilder.baseviews}
    lists, others = set(), set()
    for rule in app.url_map.iter_rules():
        view_name, _, method = rule.endpoint.partition(".")
        view = views.get(view_name)
        if view is None or "GET" not in rule.methods:
            continue
        if isinstance(view, ModelView) and method == "list":
            # A ModelView without can_list (the profile) answers its list with a refusal.
            if "can_list" in view.base_permissions:
                lists.add(rule.endpoint)
        elif isinstance(view, ModelRestApi):
            if method == "get_list":
                lists.add(rule.endpoint)
        elif not isinstance(view, ModelView) and not rule.arguments:
            others.add(rule.endpoint)
    return lists, others


def test_every_list_has_a_budget(app: Flask) -> None:
    lists, others = list_endpoints(app)
    assert lists - set(CASES) == set(), "list without a query budget"
    assert others - set(CASES) - NOT_LISTS == set(), "page neither budgeted nor excused"
    assert set(CASES) - lists - others == set(), "budget for a page that does not exist"


def _path(app: Flask, endpoint: str, case: Case) -> str:
    view = next(v for v in app.appbuilder.baseviews
                if type(v).__name__ == endpoint.partition(".")[0])
    with app.test_request_context():
        path = url_for(endpoint)
    if isinstance(view, ModelView):
        return f"{path}?psize_{type(view).__name__}=100"
    if isinstance(view, ModelRestApi):
        return f"{path}?q=(page_size:100)"
    return path + case.query


def _rows(case: Case, response: Any) -> int:
    if case.marker:
        return len(re.findall(case.marker, response.get_data(as_text=True)))
    if response.is_json:
        return len(response.get_json()["result"])
    return response.get_data(as_text=True).count("<tr>") - 1  # less the header row


def _measure(app: Flask, client: Any, headers: dict[str, str], path: str,
             case: Case) -> tuple[int, int, list[str]]:
    client.get(path, headers=headers)  # warm caches (permissions, definitions)
    with counting(app) as statements:
        response = client.get(path, headers=headers)
    assert response.status_code == 200, (path, response.status_code)
    return len(statements), _rows(case, response), statements


@pytest.mark.parametrize("endpoint", sorted(CASES))
def test_list_queries_do_not_grow(endpoint: str, app: Flask, client: Any, login_as: Any,
                                  api_token: Any) -> None:
    case = CASES[endpoint]
    path = _path(app, endpoint, case)
    is_api = path.startswith("/api/")
    headers = api_token(case.user) if is_api and case.user else {}
    web = client if is_api or case.user is None else login_as(case.user).client
    volume.seed(app, case.seeder, case.user, 0, 10)
    few, _, _ = _measure(app, web, headers, path, case)
    volume.seed(app, case.seeder, case.user, 10, 90)
    many, rows, statements = _measure(app, web, headers, path, case)
    assert rows >= case.rows, f"{endpoint} shows {rows} rows, expected at least {case.rows}"
    grew = many > few if case.mixed else many != few
    assert not grew, f"{endpoint}: {few} queries for 10 rows, {many} for 100:\n" + \
        "\n".join(statements)
    assert many <= case.budget, f"{endpoint}: {many} queries, budget {case.budget}:\n" + \
        "\n".join(statements)


def test_contract_form_reads_plan_lines_with_their_plans(app: Flask, login_as: Any) -> None:
    """新增合同备案 for a chosen plan: its 备案明细 (named by plan and 品目, PlanItem.__repr__)
    cost the same however many plans the unit has."""
    web = login_as(CLERK).client
    found = []
    for start, count in ((0, 10), (10, 90)):
        volume.seed(app, volume.plans, CLERK, start, count)
        with app.app_context():
            plan = db.session.scalar(select(ProcurementPlan.id).where(
                ProcurementPlan.project_name == "预算采购计划0"))
        web.get(f"/contractview/add?plan={plan}")
        with counting(app) as statements:
            response = web.get(f"/contractview/add?plan={plan}")
        assert response.status_code == 200
        found.append((len(statements), response.get_data(as_text=True).count("预算品目")))
    (few, _), (many, lines) = found
    assert lines >= 1 and few == many, found
    assert many <= FORM_BUDGET


WORKBENCH_BUDGET = 25  # the clerk's 工作台: counts, drafts and completed per record type


def test_clerk_workbench_queries_do_not_grow(app: Flask, login_as: Any) -> None:
    """The clerk's home page (工作台) costs the same for 10 drafts of each kind as for 100."""
    web = login_as(CLERK).client
    found = []
    for start, count in ((0, 10), (10, 90)):
        for seeder in (volume.bid_filings, volume.reductions):
            volume.seed(app, seeder, CLERK, start, count)
        web.get("/")
        with counting(app) as statements:
            response = web.get("/")
        assert response.status_code == 200
        found.append((len(statements), response.get_data(as_text=True).count("data-filing=")))
    (few, _), (many, rows) = found
    assert rows >= 10 and few == many, found
    assert many <= WORKBENCH_BUDGET, found
