"""What the public pages read: only published records (their public fields are the pages')."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, joinedload, selectinload

from app.services.contracts import announced
from models import BidChangeAnnouncement, Contract, Intention, IntentionStatus
from models.values import valid_id


def public_contracts() -> Select[tuple[Contract]]:
    """合同公告 (revoked ones too, marked), newest first, with what the list shows."""
    query: Select[tuple[Contract]] = announced()
    return query.options(selectinload(Contract.notices))


def public_contract(session: Session, pk: Any) -> Contract | None:
    """A contract with a published 合同公告, else ``None`` (any id, however hostile)."""
    if not valid_id(pk):
        return None
    return session.scalar(public_contracts().where(Contract.id == pk))


def public_intentions() -> Select[tuple[Intention]]:
    """采购意向 公开 now (not drafts, not withdrawn ones), newest first."""
    return select(Intention).where(Intention.status == IntentionStatus.published) \
        .options(joinedload(Intention.unit)) \
        .order_by(Intention.published_on.desc(), Intention.id.desc())


def public_intention(session: Session, pk: Any) -> Intention | None:
    """A 公开 采购意向, else ``None``."""
    if not valid_id(pk):
        return None
    return session.scalar(public_intentions().where(Intention.id == pk))


def public_bid_changes() -> Select[tuple[BidChangeAnnouncement]]:
    """中标结果变更公告 发布 (a published one is never changed again), newest first."""
    return select(BidChangeAnnouncement).where(BidChangeAnnouncement.published.is_(True)) \
        .options(joinedload(BidChangeAnnouncement.unit),
                 joinedload(BidChangeAnnouncement.project)) \
        .order_by(BidChangeAnnouncement.published_on.desc(), BidChangeAnnouncement.id.desc())


def public_bid_change(session: Session, pk: Any) -> BidChangeAnnouncement | None:
    """A published 中标结果变更公告, else ``None``."""
    if not valid_id(pk):
        return None
    return session.scalar(public_bid_changes().where(BidChangeAnnouncement.id == pk))
