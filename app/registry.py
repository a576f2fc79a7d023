"""One place registers every menu, view and API of the panel, and the workflow records."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app
from flask_appbuilder import AppBuilder
from flask_appbuilder.api.manager import SwaggerView
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from app.services import bids, changes, contracts, plans, registration
from app.services import workflow as flow
from app.services.workflow_registry import WorkflowRegistry, init_registry
from app.timezone import to_business
from views.account_admin import RecoveryAttemptView, SmsMessageView, SupplierSelfView
from views.accounts import (
    PasswordChangeView,
    RecoveryView,
    SupplierRegisterView,
    force_password_change,
)
from views.accounts_api import AccountApi, UnitRegistrationApi
from views.bids import BidChangeAnnouncementView, BidChangeFilingView, ProjectView
from views.changes import MethodChangeView, ProcurementFailureView, SpendingReductionView
from views.charts import WorkflowChartView
from views.contracts import ContractView, MigrantAccountView, SupplierView
from views.contracts_api import ContractApi, MethodChangeApi, PaymentApi, SpendingReductionApi
from views.failures_api import ProcurementFailureApi
from views.intentions import IntentionApi, IntentionView
from views.mall.acceptance import MallAcceptanceView, settlement_actions
from views.mall.admin import MallPolicyView
from views.mall.buyer_api import MallCartApi, MallOrderApi
from views.mall.cart import MallCartView
from views.mall.catalogue import MallCatalogueView
from views.mall.contract import MallContractView
from views.mall.exceptions import MallExceptionAdminView, MallExceptionView
from views.mall.offers import MallProductView, OfferReviewView, SupplierOfferView
from views.mall.orders import MallOrderView
from views.mall.payment import MallPaymentView
from views.mall.plan_lines import MallPlanLinesView
from views.mall.settlement_api import MallSettlementApi
from views.mall.supervision import MallStatsView, MallSupervisionView
from views.mall.supplier import SupplierOrderView, SupplierTokenView
from views.mall.supplier_api import MallSupplierApi
from views.messages import MessageCenterView, unread_messages
from views.openapi import OpenApi
from views.operators import AdminOperatorView, OperatorApi, OperatorView
from views.organisation import DivisionView, PostView, RegionView, UnitView
from views.payments import BudgetCallbackApi, OutboxView, PaymentView
from views.plans import CatalogueItemView, PlanQueryView, ProcurementPlanView
from views.plans_api import ProcurementPlanApi
from views.public import (
    PublicBidChangeView,
    PublicContractView,
    PublicIndexView,
    PublicIntentionView,
)
from views.registration import UnitRegisterView, UnitRegistrationView
from views.roles import UnitRoleApi, UnitRoleView
from views.spending_plans import SpendingPlanApi, SpendingPlanImportView, SpendingPlanView
from views.tasks import TaskView, record_detail, record_panel, shown_record
from views.workflow_api import BidChangeAnnouncementApi, BidChangeFilingApi, TaskApi

# Menu names are stable identifiers used in permissions; labels are what people read.
WORKBENCH = ("Workbench", _l("工作台"), "fa-tasks")
INTENTIONS = ("Intentions", _l("意向公开"), "fa-bullseye")
PLANS = ("PlanManage", _l("计划管理"), "fa-clipboard-list")
CONTRACTS = ("ContractManage", _l("合同管理"), "fa-file-contract")
PAYMENTS = ("PaymentManage", _l("支付管理"), "fa-money-check-alt")
SUPERVISION = ("Supervision", _l("监督管理"), "fa-gavel")
SYSTEM = ("SystemAdmin", _l("系统管理"), "fa-cogs")
SUPPLIER_CENTER = ("SupplierCenter", _l("供应商中心"), "fa-store")
MALL = ("Mall", _l("网上商城"), "fa-shopping-cart")
PERMISSIONS = ("Permissions", _l("操作权限"), "fa-user-shield")


def _add(appbuilder: AppBuilder, view: type, name: str, label: str, icon: str,
         category: tuple[str, object, str]) -> None:
    cat_name, cat_label, cat_icon = category
    appbuilder.add_view(
        view, name, label=label, icon=icon,
        category=cat_name, category_label=cat_label, category_icon=cat_icon,
    )


def register_workflows(app: Flask) -> None:
    """Register the workflow record types and hooks, then load and check workflows.yaml."""
    registry = WorkflowRegistry()
    bids.register(registry)
    plans.register(registry)
    changes.register(registry)
    contracts.register(registry)
    registration.register(registry)
    init_registry(app, registry)


def _business_time(value: Any) -> str:
    return to_business(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _workflow_panel(pk: Any) -> Markup:
    """The history and chart of the record shown by the current view (if it has a chain)."""
    shown = shown_record(pk)
    if shown is None:
        return Markup("")
    record_type, record = shown
    return record_panel(record_type, record,
                        flow.instance_of(current_app.appbuilder.session, record_type, int(pk)))


def _record_detail(pk: Any) -> Markup:
    """The content of the record shown by the current view, as its review page shows it."""
    shown = shown_record(pk)
    return Markup("") if shown is None else record_detail(*shown)


def _register_mall_buyer(appbuilder: AppBuilder, app: Flask) -> None:
    """网上商城 for buyers (category MALL), and the order pages reached from an order."""
    app.jinja_env.globals["mall_settlement_actions"] = settlement_actions
    _add(appbuilder, MallCatalogueView, "MallProducts", _l("商品搜索"), "fa-search", MALL)
    _add(appbuilder, MallCartView, "MallCart", _l("购物车"), "fa-shopping-basket", MALL)
    _add(appbuilder, MallOrderView, "MallOrders", _l("我的订单"), "fa-receipt", MALL)
    _add(appbuilder, MallPlanLinesView, "MallPlanLines", _l("待采购/已完成"), "fa-tasks", MALL)
    _add(appbuilder, MallAcceptanceView, "MallAfterSales", _l("售后处理"), "fa-tools", MALL)
    _add(appbuilder, MallExceptionView, "MallExceptions", _l("异常待办"),
         "fa-exclamation-triangle", MALL)
    # Reached from the order page (付款, 打印合同): no menu entry of their own.
    appbuilder.add_view_no_menu(MallContractView)
    appbuilder.add_view_no_menu(MallPaymentView)


def _register_mall_supplier(appbuilder: AppBuilder) -> None:
    """供应商中心's 网上商城 pages."""
    _add(appbuilder, SupplierOfferView, "MallOffers", _l("商品与报价"), "fa-tags",
         SUPPLIER_CENTER)
    _add(appbuilder, SupplierOrderView, "MallSupplierOrders", _l("订单"), "fa-truck",
         SUPPLIER_CENTER)
    _add(appbuilder, SupplierTokenView, "MallSupplierTokens", _l("接口令牌"), "fa-key",
         SUPPLIER_CENTER)


def _register_mall_admin(appbuilder: AppBuilder) -> None:
    """系统管理's 网上商城 pages."""
    _add(appbuilder, MallProductView, "MallProductManage", _l("商城商品"), "fa-box", SYSTEM)
    _add(appbuilder, OfferReviewView, "MallOfferReview", _l("上架审核"), "fa-clipboard-check",
         SYSTEM)
    _add(appbuilder, MallPolicyView, "MallPolicies", _l("商城规则"), "fa-sliders-h", SYSTEM)
    _add(appbuilder, MallExceptionAdminView, "MallExceptionsAdmin", _l("商城异常"),
         "fa-exclamation-circle", SYSTEM)


def register_all(appbuilder: AppBuilder, app: Flask) -> None:
    """Register the menus, views and REST APIs, in the order the menu shows them."""
    app.jinja_env.filters["business_time"] = _business_time
    app.jinja_env.globals["workflow_panel"] = _workflow_panel
    app.jinja_env.globals["record_detail"] = _record_detail
    app.jinja_env.globals["unread_messages"] = unread_messages
    appbuilder.add_view_no_menu(MessageCenterView)
    app.before_request(force_password_change)
    for public in (RecoveryView, PasswordChangeView, SupplierRegisterView, UnitRegisterView):
        appbuilder.add_view_no_menu(public)

    _add(appbuilder, TaskView, "Tasks", _l("待办任务"), "fa-inbox", WORKBENCH)
    appbuilder.add_link("DoneTasks", href="/tasks/done", label=_l("已办任务"),
                        icon="fa-check-square", category=WORKBENCH[0])
    _add(appbuilder, WorkflowChartView, "WorkflowCharts", _l("审批流程图"), "fa-project-diagram",
         WORKBENCH)

    _add(appbuilder, IntentionView, "IntentionManage", _l("采购意向"), "fa-bullhorn", INTENTIONS)
    _add(appbuilder, ProcurementPlanView, "PlanFiling", _l("采购计划备案"), "fa-file-alt", PLANS)
    _add(appbuilder, PlanQueryView, "PlanQuery", _l("计划查询"), "fa-search", PLANS)
    _add(appbuilder, ProcurementFailureView, "ProcurementFailure", _l("采购失败登记"),
         "fa-times-circle", PLANS)
    _add(appbuilder, MethodChangeView, "MethodChange", _l("采购失败方式变更"), "fa-exchange-alt",
         PLANS)
    _add(appbuilder, SpendingPlanView, "SpendingPlans", _l("用款计划"), "fa-coins", PLANS)
    _add(appbuilder, SpendingReductionView, "SpendingReduction", _l("用款计划调减"),
         "fa-minus-circle", PLANS)
    _add(appbuilder, SpendingPlanImportView, "SpendingPlanImport", _l("用款计划导入"),
         "fa-file-import", PLANS)

    _add(appbuilder, ContractView, "ContractFiling", _l("合同备案"), "fa-file-signature",
         CONTRACTS)
    _add(appbuilder, MigrantAccountView, "MigrantAccounts", _l("农民工工资专用账户"),
         "fa-hard-hat", CONTRACTS)
    for public_page in (PublicIndexView, PublicContractView, PublicIntentionView,
                        PublicBidChangeView):
        appbuilder.add_view_no_menu(public_page)
    _add(appbuilder, PaymentView, "Payments", _l("资金支付申请"), "fa-money-bill", PAYMENTS)

    _register_mall_buyer(appbuilder, app)

    _add(appbuilder, BidChangeFilingView, "BidChangeFiling", _l("中标结果变更备案"),
         "fa-file-signature", SUPERVISION)
    _add(appbuilder, BidChangeAnnouncementView, "BidChangeAnnouncement", _l("中标结果变更公告"),
         "fa-bullhorn", SUPERVISION)
    _add(appbuilder, ProjectView, "ProjectList", _l("项目信息"), "fa-folder-open", SUPERVISION)
    _add(appbuilder, UnitRegistrationView, "UnitRegistrationReview", _l("采购人注册审核"),
         "fa-user-check", SUPERVISION)
    _add(appbuilder, MallSupervisionView, "MallSupervision", _l("商城订单监督"), "fa-eye",
         SUPERVISION)
    _add(appbuilder, MallStatsView, "MallStats", _l("商城统计"), "fa-chart-bar", SUPERVISION)
    _add(appbuilder, SupplierSelfView, "SupplierInfo", _l("供应商信息"), "fa-id-card",
         SUPPLIER_CENTER)
    _register_mall_supplier(appbuilder)

    _add(appbuilder, RegionView, "RegionManage", _l("区划管理"), "fa-map", SYSTEM)
    _add(appbuilder, UnitView, "UnitManage", _l("单位管理"), "fa-building", SYSTEM)
    _add(appbuilder, DivisionView, "DivisionManage", _l("业务处室分管"), "fa-sitemap", SYSTEM)
    _add(appbuilder, AdminOperatorView, "AllOperators", _l("全部人员"), "fa-users", SYSTEM)
    _add(appbuilder, PostView, "PostList", _l("岗位"), "fa-id-badge", SYSTEM)
    _add(appbuilder, CatalogueItemView, "CatalogueManage", _l("品目管理"), "fa-list", SYSTEM)
    _add(appbuilder, SupplierView, "SupplierManage", _l("供应商"), "fa-store", SYSTEM)
    _add(appbuilder, OutboxView, "Outbox", _l("发件箱"), "fa-paper-plane", SYSTEM)
    _add(appbuilder, SmsMessageView, "SmsMessages", _l("短信记录"), "fa-sms", SYSTEM)
    _add(appbuilder, RecoveryAttemptView, "RecoveryAttempts", _l("找回密码记录"), "fa-history",
         SYSTEM)
    _register_mall_admin(appbuilder)

    _add(appbuilder, UnitRoleView, "RoleManage", _l("角色定制"), "fa-user-tag", PERMISSIONS)
    _add(appbuilder, OperatorView, "OperatorManage", _l("操作人员管理"), "fa-user", PERMISSIONS)
    appbuilder.add_link("RegistrationInfo", href="/unitregistrationview/list/",
                        label=_l("本单位注册信息"), icon="fa-id-card", category=PERMISSIONS[0])

    appbuilder.add_api(TaskApi)
    appbuilder.add_api(BidChangeFilingApi)
    appbuilder.add_api(BidChangeAnnouncementApi)
    appbuilder.add_api(ProcurementPlanApi)
    appbuilder.add_api(BudgetCallbackApi)
    for api in (ContractApi, PaymentApi, ProcurementFailureApi, MethodChangeApi,
                SpendingReductionApi):
        appbuilder.add_api(api)
    appbuilder.add_api(IntentionApi)
    appbuilder.add_api(SpendingPlanApi)
    appbuilder.add_api(OperatorApi)
    appbuilder.add_api(UnitRoleApi)
    appbuilder.add_api(AccountApi)
    appbuilder.add_api(UnitRegistrationApi)
    for mall_api in (MallCartApi, MallOrderApi, MallSupplierApi, MallSettlementApi):
        appbuilder.add_api(mall_api)
    # FAB_ADD_OPENAPI_VIEWS is off: this document declares what FAB's leaves out.
    appbuilder.add_api(OpenApi)
    if app.config.get("FAB_API_SWAGGER_UI"):
        appbuilder.add_view_no_menu(SwaggerView)
