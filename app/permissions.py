"""The posts and the function permissions (功能权限), declared once in code.

The database holds posts, functions and FAB roles; ``flask setup`` brings them in line with
this module, so a deployment never depends on someone ticking boxes by hand.
"""

from __future__ import annotations

from dataclasses import dataclass

CRUD = ("can_list", "can_show", "can_add", "can_edit", "can_delete")
READ = ("can_list", "can_show")
API_CRUD = ("can_get", "can_post", "can_put", "can_delete", "can_info")
API_READ = ("can_get", "can_info")

Grant = tuple[str, str]  # (permission name, view or menu name)


# Whoever may call a REST API may read its OpenAPI document (/api/v1/_openapi).
API_DOCS: Grant = ("can_get", "OpenApi")


def grants(view: str, perms: tuple[str, ...]) -> tuple[Grant, ...]:
    """Expand one view and its permission names into grants; those on a REST API (``…Api``)
    come with :data:`API_DOCS`."""
    expanded = tuple((perm, view) for perm in perms)
    return (*expanded, API_DOCS) if view.endswith("Api") else expanded


def menu(*names: str) -> tuple[Grant, ...]:
    """Grant access to menu entries and categories by their stable names."""
    return tuple(("menu_access", name) for name in names)


# Every signed-in person may read and edit their own profile and change their own password.
SELF_SERVICE: tuple[Grant, ...] = (
    *grants("ProfileView", ("can_userinfo", "resetmypassword", "userinfoedit")),
    *grants("ProfileEditView", ("can_this_form_get", "can_this_form_post")),
    *grants("MyPasswordView", ("can_this_form_get", "can_this_form_post")),
)

OPERATOR_MANAGE: tuple[Grant, ...] = (
    *grants("OperatorView", (*CRUD, "can_resetpassword", "resetpassword", "unlock")),
    *grants("OperatorApi", API_CRUD),
    *menu("Permissions", "OperatorManage"),
)
ROLE_MANAGE: tuple[Grant, ...] = (
    *grants("UnitRoleView", CRUD),
    *grants("UnitRoleApi", API_CRUD),
    *menu("Permissions", "RoleManage"),
)


# Every reviewing post and the clerks: 待办任务, 已办任务 and the flowcharts.
WORKBENCH: tuple[Grant, ...] = (
    *grants("TaskView", ("can_list", "can_done", "can_review")),
    *grants("TaskApi", ("can_get", "can_post")),
    *grants("WorkflowChartView", ("can_charts", "can_chart")),
    *menu("Workbench", "Tasks", "DoneTasks", "WorkflowCharts"),
)
# Reviewers read the attachments of the records they review (the download checks the task).
REVIEW_ATTACHMENTS: tuple[Grant, ...] = (
    *grants("BidChangeFilingView", ("can_download",)),
    *grants("ProcurementPlanView", ("can_download",)),
    *grants("MethodChangeView", ("can_download",)),
    *grants("ContractView", ("can_download",)),
)
BID_CHANGE_FILING: tuple[Grant, ...] = (
    *grants("BidChangeFilingView", (*CRUD, "can_download", "submit", "withdraw")),
    *grants("BidChangeFilingApi", (*API_READ, "can_submit", "can_withdraw", "can_history")),
    *grants("BidChangeAnnouncementView", (*CRUD, "publish")),
    *grants("BidChangeAnnouncementApi", (*API_CRUD, "can_publish")),
    *grants("ProjectView", READ),
    *menu("Supervision", "BidChangeFiling", "BidChangeAnnouncement", "ProjectList"),
)
INTENTIONS: tuple[Grant, ...] = (
    *grants("IntentionView", (*CRUD, "publish", "can_retract")),
    *grants("IntentionApi", (*API_READ,)),
    *menu("Intentions", "IntentionManage"),
)
SPENDING_PLANS_READ: tuple[Grant, ...] = (
    *grants("SpendingPlanView", READ),
    *grants("SpendingPlanApi", API_READ),
    *menu("PlanManage", "SpendingPlans"),
)
PLAN_FILING: tuple[Grant, ...] = (
    *grants("ProcurementPlanView", (*CRUD, "can_download", "submit", "withdraw")),
    *grants("PlanQueryView", READ),
    *grants("ProcurementPlanApi", ("can_get", "can_post", "can_put", "can_submit",
                                   "can_withdraw", "can_history")),
    *menu("PlanManage", "PlanFiling", "PlanQuery"),
)
CHANGES: tuple[Grant, ...] = (
    *grants("ProcurementFailureView", ("can_list", "can_show", "can_add", "can_delete")),
    *grants("ProcurementFailureApi", ("can_get", "can_post", "can_delete")),
    *grants("MethodChangeView", (*CRUD, "can_download", "submit", "withdraw")),
    *grants("SpendingReductionView", (*CRUD, "submit", "withdraw")),
    *grants("MethodChangeApi", ("can_get", "can_post", "can_put", "can_submit", "can_withdraw",
                                "can_history")),
    *grants("SpendingReductionApi", ("can_get", "can_post", "can_put", "can_submit",
                                     "can_withdraw", "can_history")),
    *menu("PlanManage", "ProcurementFailure", "MethodChange", "SpendingReduction"),
)
CONTRACT_FILING: tuple[Grant, ...] = (
    *grants("ContractView", (*CRUD, "can_download", "submit", "withdraw")),
    *grants("MigrantAccountView", CRUD),
    *grants("ContractApi", ("can_get", "can_post", "can_put", "can_submit", "can_withdraw",
                            "can_history")),
    *menu("ContractManage", "ContractFiling", "MigrantAccounts"),
)
PAYMENTS: tuple[Grant, ...] = (
    *grants("PaymentView", (*CRUD, "send", "can_print_form")),
    *grants("PaymentApi", ("can_get", "can_post", "can_put", "can_send")),
    *menu("PaymentManage", "Payments"),
)
REVIEWER = (*WORKBENCH, *REVIEW_ATTACHMENTS)
# 主管单位, 业务处室 and 监管部门 query the plans of the units they review (views.review_scope).
PLAN_QUERY: tuple[Grant, ...] = (
    *grants("PlanQueryView", READ),
    *menu("PlanManage", "PlanQuery"),
)
SCOPE_REVIEWER = (*REVIEWER, *PLAN_QUERY)
# 本单位注册信息 (a self-registered unit's administrator) and 采购人注册审核 (市采购办).
REGISTRATION_INFO: tuple[Grant, ...] = (
    *grants("UnitRegistrationView", ("can_list", "can_show", "can_edit", "submit")),
    *grants("UnitRegistrationApi", ("can_get", "can_submit", "can_history")),
    *menu("Permissions", "RegistrationInfo"),
)
REGISTRATION_REVIEW: tuple[Grant, ...] = (
    *grants("UnitRegistrationView", ("can_list", "can_show", "can_review")),
    *grants("UnitRegistrationApi", ("can_get", "can_history")),
    *menu("Supervision", "UnitRegistrationReview"),
)
SUPPLIER_SELF: tuple[Grant, ...] = (
    *grants("SupplierSelfView", ("can_list", "can_show", "can_edit")),
    # A supplier's client uses the account API (修改密码, 找回密码), documented there too.
    API_DOCS,
    *menu("SupplierCenter", "SupplierInfo"),
)


# 网上商城: each part's grants (buyers, suppliers, supervision); the posts below combine them.
# 商品搜索 and the product page (a supervision post may be given the same read grants).
MALL_CATALOGUE_READ: tuple[Grant, ...] = (
    *grants("MallCatalogueView", READ),
    *menu("Mall", "MallProducts"),
)
MALL_CATALOGUE_BUYER: tuple[Grant, ...] = MALL_CATALOGUE_READ
# 商品与报价: a supplier's own offers (增加, 修改, 价格历史, 下架, 重新提交审核, 上架证明).
MALL_CATALOGUE_SUPPLIER: tuple[Grant, ...] = (
    *grants("SupplierOfferView", ("can_list", "can_show", "can_add", "can_edit")),
    *menu("SupplierCenter", "MallOffers"),
)
MALL_ORDERS_BUYER: tuple[Grant, ...] = (
    *grants("MallCartView", ("can_list", "can_edit", "can_add")),
    *grants("MallOrderView", ("can_list", "can_show", "can_edit", "can_delete")),
    *grants("MallPlanLinesView", ("can_list",)),
    *grants("MallCartApi", ("can_get", "can_post", "can_put", "can_delete")),
    *grants("MallOrderApi", ("can_get", "can_post", "can_submit", "can_cancel")),
    *menu("Mall", "MallCart", "MallOrders", "MallPlanLines"),
)
MALL_SUPPLIER_ORDERS: tuple[Grant, ...] = (
    *grants("SupplierOrderView", ("can_list", "can_show", "can_act")),
    *grants("SupplierTokenView", ("can_list", "can_issue", "can_revoke")),
    *menu("SupplierCenter", "MallSupplierOrders", "MallSupplierTokens"),
)
# 打印合同 of an order: its unit, its supplier and the region's supervision (the page checks
# which order each may read).
MALL_CONTRACT_PRINT: tuple[Grant, ...] = grants("MallContractView", ("can_mall_contract",))
MALL_PAYMENT_BUYER: tuple[Grant, ...] = (
    *MALL_CONTRACT_PRINT,
    *grants("MallPaymentView", ("can_mall_pay", "can_mall_voucher")),
    *grants("MallSettlementApi", ("can_pay", "can_payments")),
)
MALL_ACCEPTANCE_BUYER: tuple[Grant, ...] = (
    *grants("MallAcceptanceView", ("can_mall_accept", "can_mall_evaluate",
                                   "can_mall_after_sales", "can_mall_resolve")),
    *grants("MallSettlementApi", ("can_accept", "can_evaluate", "can_after_sales",
                                  "can_resolve")),
    *menu("Mall", "MallAfterSales"),
)
MALL_EXCEPTIONS_BUYER: tuple[Grant, ...] = (
    *grants("MallExceptionView", ("can_list", "can_resolve")),
    *menu("Mall", "MallExceptions"),
)
# 监管部门: the mall orders and figures of their region's units (read-only).
MALL_SUPERVISION: tuple[Grant, ...] = (
    *grants("MallSupervisionView", ("can_list", "can_show")),
    *grants("MallStatsView", ("can_list",)),
    *menu("Supervision", "MallSupervision", "MallStats"),
)
MALL_BUYER = (*MALL_CATALOGUE_BUYER, *MALL_ORDERS_BUYER, *MALL_PAYMENT_BUYER,
              *MALL_ACCEPTANCE_BUYER, *MALL_EXCEPTIONS_BUYER)
MALL_SUPPLIER = (*MALL_CATALOGUE_SUPPLIER, *MALL_SUPPLIER_ORDERS, *MALL_CONTRACT_PRINT)


@dataclass(frozen=True)
class PostSpec:
    """A post: its code (what workflows name), Chinese name, unit kind and base grants."""

    code: str
    name: str
    unit_kind: str
    grants: tuple[Grant, ...] = ()


@dataclass(frozen=True)
class FunctionSpec:
    """A 功能权限 a unit administrator may tick on a unit role."""

    code: str
    name: str
    grants: tuple[Grant, ...]


SYS_ADMIN = "sys_admin"
UNIT_ADMIN = "unit_admin"
CLERK = "clerk"
INTERNAL_REVIEWER = "internal_reviewer"
SUPPLIER = "supplier"

POSTS: tuple[PostSpec, ...] = (
    PostSpec(CLERK, "经办岗", "purchaser",
             (*WORKBENCH, *BID_CHANGE_FILING, *INTENTIONS, *SPENDING_PLANS_READ, *PLAN_FILING,
              *CHANGES, *CONTRACT_FILING, *PAYMENTS, *MALL_BUYER)),
    PostSpec(INTERNAL_REVIEWER, "内部审核岗", "purchaser", REVIEWER),
    PostSpec("competent_reviewer", "主管单位审核岗", "purchaser", SCOPE_REVIEWER),
    PostSpec("division_first", "业务处室初审岗", "division", SCOPE_REVIEWER),
    PostSpec("division_review", "业务处室复核岗", "division", SCOPE_REVIEWER),
    PostSpec("supervision_first", "监管部门初审岗", "supervision",
             (*SCOPE_REVIEWER, *MALL_SUPERVISION, *MALL_CONTRACT_PRINT,
              *MALL_CATALOGUE_READ)),
    PostSpec("supervision_review", "监管部门复核岗", "supervision",
             (*SCOPE_REVIEWER, *MALL_SUPERVISION, *MALL_CONTRACT_PRINT,
              *MALL_CATALOGUE_READ)),
    PostSpec("office_reviewer", "市采购办审核岗", "office", (*REVIEWER, *REGISTRATION_REVIEW)),
    # The system administrator's role is FAB's admin role, which holds every permission.
    PostSpec(SYS_ADMIN, "系统管理员", ""),
    PostSpec(UNIT_ADMIN, "单位管理员", "", (*OPERATOR_MANAGE, *ROLE_MANAGE, *REGISTRATION_INFO)),
    PostSpec(SUPPLIER, "供应商", "supplier", (*SUPPLIER_SELF, *MALL_SUPPLIER)),
)

# Posts a unit administrator may give to the unit's own operators (through 内部审核标志).
UNIT_OPERATOR_POSTS = (CLERK, INTERNAL_REVIEWER)

FUNCTIONS: tuple[FunctionSpec, ...] = (
    FunctionSpec("operator_manage", "操作人员管理", OPERATOR_MANAGE),
    FunctionSpec("role_manage", "角色定制", ROLE_MANAGE),
    FunctionSpec("bid_change_filing", "中标结果变更备案", BID_CHANGE_FILING),
    FunctionSpec("workbench", "待办任务", WORKBENCH),
    FunctionSpec("plan_filing", "采购计划备案", (*PLAN_FILING, *SPENDING_PLANS_READ)),
    FunctionSpec("intentions", "意向公开", INTENTIONS),
    FunctionSpec("plan_changes", "采购失败方式变更与用款计划调减", CHANGES),
    FunctionSpec("contract_filing", "合同备案", CONTRACT_FILING),
    FunctionSpec("payments", "资金支付申请", PAYMENTS),
    FunctionSpec("mall", "网上商城", MALL_BUYER),
)

POSTS_BY_CODE = {post.code: post for post in POSTS}
FUNCTIONS_BY_CODE = {function.code: function for function in FUNCTIONS}

# Chinese names of permissions and of the views and menus they apply to, for the 角色权限 page.
PERMISSION_LABELS = {
    "can_list": "列表",
    "can_show": "查看",
    "can_add": "增加",
    "can_edit": "修改",
    "can_delete": "删除",
    "can_download": "下载",
    "can_get": "接口读取",
    "can_post": "接口新增",
    "can_put": "接口修改",
    "can_info": "接口说明",
    "menu_access": "菜单",
    "can_userinfo": "查看",
    "userinfoedit": "修改",
    "resetmypassword": "修改密码",
    "can_this_form_get": "打开",
    "can_this_form_post": "提交",
    "can_resetpassword": "重置密码",
    "resetpassword": "重置密码",
    "resetpasswords": "重置密码",
    "unlock": "解除锁定",
    "can_done": "已办任务",
    "can_review": "进入审批",
    "can_charts": "查看",
    "can_chart": "下载",
    "submit": "提交",
    "withdraw": "撤回",
    "publish": "发布",
    "can_submit": "接口提交",
    "can_withdraw": "接口撤回",
    "can_history": "接口审批记录",
    "can_publish": "接口发布",
    "can_retract": "撤回",
    "can_upload": "上传导入",
    "can_import": "接口导入",
    "send": "支付申请",
    "can_print_form": "打印支付申请表",
    "can_send": "接口支付申请",
    "can_cancel": "接口取消",
    "can_act": "办理",
    "can_issue": "签发令牌",
    "can_revoke": "吊销令牌",
    "can_resolve": "处理",
    "can_mall_accept": "验收",
    "can_mall_contract": "打印合同",
    "can_mall_pay": "付款",
    "can_mall_voucher": "下载付款凭证",
    "can_mall_evaluate": "评价",
    "can_mall_after_sales": "售后列表",
    "can_mall_resolve": "售后处理",
    "can_accept": "接口验收",
    "can_pay": "接口付款",
    "can_payments": "接口付款记录",
    "can_evaluate": "接口评价",
    "can_after_sales": "接口售后列表",
}
VIEW_LABELS = {
    "SystemAdmin": "系统管理",
    "Permissions": "操作权限",
    "RegionView": "区划管理",
    "RegionManage": "区划管理",
    "UnitView": "单位管理",
    "UnitManage": "单位管理",
    "DivisionView": "业务处室分管",
    "DivisionManage": "业务处室分管",
    "AdminOperatorView": "全部人员",
    "AllOperators": "全部人员",
    "PostView": "岗位",
    "PostList": "岗位",
    "RoleView": "角色权限",
    "RoleList": "角色权限",
    "UnitRoleView": "角色定制",
    "RoleManage": "角色定制",
    "UnitRoleApi": "角色定制接口",
    "OperatorView": "操作人员管理",
    "OperatorManage": "操作人员管理",
    "OperatorApi": "操作人员接口",
    "ProfileView": "个人信息",
    "ProfileEditView": "个人信息",
    "MyPasswordView": "个人密码",
    "MenuApi": "菜单接口",
    "OpenApi": "接口文档",
    "SwaggerView": "接口文档页面",
    "Workbench": "工作台",
    "Tasks": "待办任务",
    "DoneTasks": "已办任务",
    "WorkflowCharts": "审批流程图",
    "TaskView": "待办任务",
    "TaskApi": "待办任务接口",
    "WorkflowChartView": "审批流程图",
    "Supervision": "监督管理",
    "BidChangeFiling": "中标结果变更备案",
    "BidChangeFilingView": "中标结果变更备案",
    "BidChangeFilingApi": "中标结果变更备案接口",
    "BidChangeAnnouncement": "中标结果变更公告",
    "BidChangeAnnouncementView": "中标结果变更公告",
    "BidChangeAnnouncementApi": "中标结果变更公告接口",
    "ProjectList": "项目信息",
    "ProjectView": "项目信息",
    "Intentions": "意向公开",
    "IntentionManage": "采购意向",
    "IntentionView": "采购意向",
    "IntentionApi": "采购意向接口",
    "PlanManage": "计划管理",
    "SpendingPlans": "用款计划",
    "SpendingPlanView": "用款计划",
    "SpendingPlanApi": "用款计划接口",
    "SpendingPlanImport": "用款计划导入",
    "SpendingPlanImportView": "用款计划导入",
    "PlanFiling": "采购计划备案",
    "ProcurementPlanView": "采购计划备案",
    "ProcurementPlanApi": "采购计划备案接口",
    "PlanQuery": "计划查询",
    "PlanQueryView": "计划查询",
    "CatalogueManage": "品目管理",
    "CatalogueItemView": "品目管理",
    "ProcurementFailure": "采购失败登记",
    "ProcurementFailureView": "采购失败登记",
    "MethodChange": "采购失败方式变更",
    "MethodChangeView": "采购失败方式变更",
    "SpendingReduction": "用款计划调减",
    "SpendingReductionView": "用款计划调减",
    "ContractManage": "合同管理",
    "ContractFiling": "合同备案",
    "ContractView": "合同备案",
    "MigrantAccounts": "农民工工资专用账户",
    "MigrantAccountView": "农民工工资专用账户",
    "SupplierManage": "供应商",
    "SupplierView": "供应商",
    "PublicContractView": "合同公告",
    "PublicIndexView": "公告公示",
    "PublicIntentionView": "采购意向公开",
    "PublicBidChangeView": "中标结果变更公告公开",
    "PaymentManage": "支付管理",
    "Payments": "资金支付申请",
    "PaymentView": "资金支付申请",
    "Outbox": "发件箱",
    "OutboxView": "发件箱",
    "BudgetCallbackApi": "预算执行系统回调",
    "ContractApi": "合同备案接口",
    "PaymentApi": "资金支付申请接口",
    "ProcurementFailureApi": "采购失败登记接口",
    "MethodChangeApi": "采购失败方式变更接口",
    "SpendingReductionApi": "用款计划调减接口",
    "UnitRegistrationView": "采购人注册信息",
    "UnitRegistrationApi": "采购人注册信息接口",
    "UnitRegistrationReview": "采购人注册审核",
    "RegistrationInfo": "本单位注册信息",
    "SmsMessageView": "短信记录",
    "SmsMessages": "短信记录",
    "RecoveryAttemptView": "找回密码记录",
    "RecoveryAttempts": "找回密码记录",
    "SupplierCenter": "供应商中心",
    "SupplierInfo": "供应商信息",
    "SupplierSelfView": "供应商信息",
    "AccountApi": "账号接口",
    "LoginView": "用户登录",
    "RecoveryView": "找回密码",
    "PasswordChangeView": "修改密码",
    "SupplierRegisterView": "供应商注册",
    "UnitRegisterView": "采购人注册",
    "MessageCenterView": "消息中心",
    "MallCart": "购物车",
    "MallCartView": "购物车",
    "MallCartApi": "购物车接口",
    "MallOrders": "我的订单",
    "MallOrderView": "我的订单",
    "MallOrderApi": "商城订单接口",
    "MallPlanLines": "待采购/已完成",
    "MallPlanLinesView": "待采购/已完成",
    "SupplierOrderView": "商城订单（供应商）",
    "MallSupplierOrders": "订单",
    "SupplierTokenView": "接口令牌",
    "MallSupplierTokens": "接口令牌",
    "MallSupplierApi": "网上商城供应商接口",
    "Mall": "网上商城",
    "MallProducts": "商品搜索",
    "MallContractView": "网上商城采购合同",
    "MallPaymentView": "网上商城付款",
    "MallCatalogueView": "商品搜索",
    "MallOffers": "商品与报价",
    "SupplierOfferView": "商品与报价",
    "MallProductManage": "商城商品",
    "MallProductView": "商城商品",
    "MallOfferReview": "上架审核",
    "OfferReviewView": "上架审核",
    "MallExceptionView": "异常待办",
    "MallExceptions": "异常待办",
    "MallSupervisionView": "商城订单监督",
    "MallSupervision": "商城订单监督",
    "MallStatsView": "商城统计",
    "MallStats": "商城统计",
    "MallPolicyView": "商城规则",
    "MallPolicies": "商城规则",
    "MallExceptionAdminView": "商城异常",
    "MallExceptionsAdmin": "商城异常",
    "MallAcceptanceView": "验收与售后",
    "MallAfterSales": "售后处理",
    "MallSettlementApi": "商城验收付款评价接口",
}


def permission_label(permission: str, view: str) -> str:
    """Chinese name of one permission on one view, e.g. ``单位管理·增加``."""
    return f"{VIEW_LABELS.get(view, view)}·{PERMISSION_LABELS.get(permission, permission)}"
