"""The contract of a confirmed order: generated from its snapshot, filed and announced."""

from __future__ import annotations

from sqlalchemy.orm import Session

from models import Contract
from models.mall import MallOrder


def generate_contract(session: Session, order: MallOrder) -> Contract:
    """Generate the order's contract and file it through the contract chain (same transaction).

    :raises ServiceError: from the contract rules or the chain; the confirmation is refused
    """
    raise NotImplementedError("being built: see /tmp/issue16/contract helper")
