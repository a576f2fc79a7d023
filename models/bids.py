"""Projects with a winning-bid result, 中标结果变更备案 filings and 中标结果变更公告."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask_appbuilder import Model
from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.clock import utcnow
from models.organisation import Unit
from models.people import Operator


class Project(Model):
    """A procurement project of a unit with its winning-bid result (minimal for now)."""

    __tablename__ = "project"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), nullable=False, index=True)
    code: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    winning_supplier: Mapped[str] = mapped_column(String(200), nullable=False)
    winning_amount: Mapped[Decimal] = mapped_column(Numeric(18, 2), nullable=False)
    result_date: Mapped[date] = mapped_column(Date, nullable=False)

    unit: Mapped[Unit] = relationship()

    def __repr__(self) -> str:
        return f"{self.code} {self.name}"


class BidChangeFiling(Model):
    """中标结果变更备案: a clerk's filing of a change to a project's winning-bid result."""

    __tablename__ = "bid_change_filing"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), nullable=False, index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id"), nullable=False, index=True)
    change_content: Mapped[str] = mapped_column(Text, nullable=False)
    change_reason: Mapped[str] = mapped_column(Text, nullable=False)
    new_supplier: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    new_amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 2), nullable=True)
    # 加盖单位公章的情况说明材料: stored under a generated name, the original name kept.
    explanation_path: Mapped[str | None] = mapped_column(String(255), nullable=True)
    explanation_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # A copy of the workflow instance's status, kept by the workflow adapter in the same
    # transaction, so that lists filter on an indexed column of their own table.
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="draft", index=True)
    completed_on: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id"), nullable=False)
    created_on: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)

    unit: Mapped[Unit] = relationship()
    project: Mapped[Project] = relationship()
    created_by: Mapped[Operator] = relationship()

    def __repr__(self) -> str:
        # Flashes and messages name a record by what a person recognises, not by its id.
        return f"中标结果变更备案：{self.project.name}"


class BidChangeAnnouncement(Model):
    """中标结果变更公告: may be created, edited or published only after its filing completes."""

    __tablename__ = "bid_change_announcement"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), nullable=False, index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id"), nullable=False, index=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    content: Mapped[str] = mapped_column(Text, nullable=False)
    published: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    published_on: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    unit: Mapped[Unit] = relationship()
    project: Mapped[Project] = relationship()
