"""Regions, units and the responsibilities between them."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_appbuilder import Model
from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship


class UnitKind(enum.Enum):
    """What kind of organisation a unit is; decides which posts it may hold."""

    purchaser = "采购单位"
    division = "业务处室"
    supervision = "监管部门"
    office = "市采购办"

    def __str__(self) -> str:
        return self.value


division_competent = Table(
    "division_competent",
    Model.metadata,
    Column("division_id", ForeignKey("unit.id", ondelete="CASCADE"), primary_key=True),
    # A competent department answers to exactly one business division.
    Column(
        "competent_id", ForeignKey("unit.id", ondelete="CASCADE"), primary_key=True, unique=True
    ),
)


class Region(Model):
    """A 区划: 省直 or a city, with its own supervision department."""

    __tablename__ = "region"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(50), unique=True, nullable=False)
    # Used in plan numbers such as 豫财招标采购-2020-1289.
    short_name: Mapped[str] = mapped_column(String(10), nullable=False)
    sort_order: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    units: Mapped[list[Unit]] = relationship(back_populates="region")

    @property
    def supervision_unit(self) -> Unit | None:
        """The region's 监管部门, if configured."""
        for unit in self.units:
            if unit.kind is UnitKind.supervision:
                return unit
        return None

    def __repr__(self) -> str:
        return self.name


class Unit(Model):
    """A 单位: purchasing unit, business division, supervision department or procurement office."""

    __tablename__ = "unit"
    __table_args__ = (
        UniqueConstraint("region_id", "name", name="uq_unit_region_name"),
        # One supervision department per region, enforced by the database as well.
        Index(
            "uq_unit_supervision_per_region",
            "region_id",
            unique=True,
            sqlite_where=text("kind = 'supervision'"),
            postgresql_where=text("kind = 'supervision'"),
        ),
        Index("ix_unit_parent", "parent_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    kind: Mapped[UnitKind] = mapped_column(
        Enum(UnitKind, name="unit_kind", native_enum=False, length=16), nullable=False
    )
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), nullable=False, index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_on: Mapped[datetime] = mapped_column(
        DateTime, nullable=False, server_default=func.current_timestamp()
    )

    region: Mapped[Region] = relationship(back_populates="units")
    parent: Mapped[Unit | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Unit]] = relationship(back_populates="parent")
    competents: Mapped[list[Unit]] = relationship(
        secondary=division_competent,
        primaryjoin=id == division_competent.c.division_id,
        secondaryjoin=id == division_competent.c.competent_id,
        order_by="Unit.code",
    )
    divisions: Mapped[list[Unit]] = relationship(
        secondary=division_competent,
        primaryjoin=id == division_competent.c.competent_id,
        secondaryjoin=id == division_competent.c.division_id,
        viewonly=True,
    )

    @property
    def is_first_level(self) -> bool:
        """A purchasing unit without a parent is a first-level unit (may act as 主管单位)."""
        return self.kind is UnitKind.purchaser and self.parent_id is None

    @property
    def competent_unit(self) -> Unit | None:
        """The unit whose 主管单位 reviews this unit's filings (itself when first-level)."""
        if self.kind is not UnitKind.purchaser:
            return None
        return self.parent or self

    @property
    def responsible_division(self) -> Unit | None:
        """The business division responsible for this unit's competent department."""
        competent = self.competent_unit
        if competent is None or not competent.divisions:
            return None
        return competent.divisions[0]

    def __repr__(self) -> str:
        return self.name
