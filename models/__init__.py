"""SQLAlchemy models, split by business area. Importing this package registers every table."""

from models.accounts import RecoveryAttempt, SmsMessage, TemporaryPassword, UnitRegistration
from models.bids import BidChangeAnnouncement, BidChangeFiling, Project
from models.changes import MethodChange, ProcurementFailure, ReductionKind, SpendingReduction
from models.contracts import (
    Contract,
    ContractFunding,
    ContractNotice,
    MigrantAccount,
    Supplier,
    contract_item,
)
from models.notifications import Notification
from models.organisation import Region, Unit, UnitKind, division_competent
from models.payments import (
    OutboxMessage,
    PaymentApplication,
    PaymentEvent,
    PaymentEventKind,
    PaymentStatus,
)
from models.people import AppFunction, Operator, Post, UnitRole
from models.plans import (
    METHOD_SHORT,
    CatalogueItem,
    Category,
    FundSource,
    Intention,
    IntentionStatus,
    Method,
    Organisation,
    PlanFunding,
    PlanItem,
    PlanNumberSequence,
    ProcurementPlan,
    SpendingPlan,
)
from models.workflow import (
    HistoryIsAppendOnly,
    TaskStatus,
    WorkflowDefinition,
    WorkflowHistory,
    WorkflowInstance,
    WorkflowTask,
)

__all__ = [
    "Notification",
    "RecoveryAttempt",
    "SmsMessage",
    "TemporaryPassword",
    "UnitRegistration",
    "OutboxMessage",
    "PaymentApplication",
    "PaymentEvent",
    "PaymentEventKind",
    "PaymentStatus",
    "Contract",
    "ContractNotice",
    "ContractFunding",
    "MigrantAccount",
    "Supplier",
    "contract_item",
    "MethodChange",
    "ProcurementFailure",
    "ReductionKind",
    "SpendingReduction",
    "METHOD_SHORT",
    "CatalogueItem",
    "Category",
    "FundSource",
    "Intention",
    "IntentionStatus",
    "Method",
    "Organisation",
    "PlanFunding",
    "PlanItem",
    "PlanNumberSequence",
    "ProcurementPlan",
    "SpendingPlan",
    "AppFunction",
    "BidChangeAnnouncement",
    "BidChangeFiling",
    "HistoryIsAppendOnly",
    "Project",
    "TaskStatus",
    "WorkflowDefinition",
    "WorkflowHistory",
    "WorkflowInstance",
    "WorkflowTask",
    "Operator",
    "Post",
    "Region",
    "Unit",
    "UnitKind",
    "UnitRole",
    "division_competent",
]
