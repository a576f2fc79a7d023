"""网上商城: products, supplier offers, carts, orders with their events, acceptance, payment.

An order's lines keep an immutable snapshot of what was bought and the price evidence; its
quantity buckets (ordered, confirmed, shipped, delivered, accepted, rejected, returned,
cancelled) and its status are what the plan's 待采购 / 已完成 and every deadline follow.
"""

from models.mall.catalogue import (
    OFFER_LABELS,
    CartLine,
    MallOffer,
    MallPolicy,
    MallProduct,
    OfferPriceHistory,
    OfferStatus,
)
from models.mall.orders import (
    ACTOR_LABELS,
    ORDER_LABELS,
    ActorKind,
    MallCheckout,
    MallException,
    MallOrder,
    MallOrderEvent,
    MallOrderLine,
    MallOrderSequence,
    OrderStatus,
    SupplierEvent,
    SupplierToken,
)
from models.mall.settlement import (
    AfterSaleCase,
    MallAcceptance,
    MallAcceptanceLine,
    MallEvaluation,
    MallPayment,
    MallShipment,
    MallShipmentLine,
)

__all__ = [
    "OfferStatus",
    "OFFER_LABELS",
    "MallProduct",
    "MallOffer",
    "OfferPriceHistory",
    "MallPolicy",
    "CartLine",
    "OrderStatus",
    "ORDER_LABELS",
    "ActorKind",
    "ACTOR_LABELS",
    "MallCheckout",
    "MallOrder",
    "MallOrderLine",
    "MallOrderEvent",
    "SupplierToken",
    "SupplierEvent",
    "MallException",
    "MallOrderSequence",
    "MallShipment",
    "MallShipmentLine",
    "MallAcceptance",
    "MallAcceptanceLine",
    "AfterSaleCase",
    "MallPayment",
    "MallEvaluation",
]
