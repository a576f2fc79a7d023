"""Posts, operators (FAB users with a unit and a post) and unit-defined roles."""

from __future__ import annotations

from datetime import datetime

from flask_appbuilder import Model
from flask_appbuilder.security.sqla.models import Role, User
from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.organisation import Unit, UnitKind


class Post(Model):
    """A 岗位 (post). Posts are reference data; the code is what workflows name."""

    __tablename__ = "post"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(50), unique=True, nullable=False)
    # The UnitKind name the post belongs to ("" means any kind).
    unit_kind: Mapped[str] = mapped_column(String(16), nullable=False, default="")
    sort_order: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    role_id: Mapped[int | None] = mapped_column(ForeignKey("ab_role.id"), nullable=True)

    role: Mapped[Role | None] = relationship(Role)

    @property
    def unit_kind_label(self) -> str:
        """Chinese label of the unit kind the post belongs to."""
        if not self.unit_kind:
            return "不限"
        if self.unit_kind in UnitKind.__members__:
            return UnitKind[self.unit_kind].value
        return "供应商" if self.unit_kind == "supplier" else self.unit_kind

    def __repr__(self) -> str:
        return self.name


operator_unit_role = Table(
    "operator_unit_role",
    Model.metadata,
    Column("operator_id", ForeignKey("ab_user.id", ondelete="CASCADE"), primary_key=True),
    Column("unit_role_id", ForeignKey("unit_role.id", ondelete="CASCADE"), primary_key=True),
)

unit_role_function = Table(
    "unit_role_function",
    Model.metadata,
    Column("unit_role_id", ForeignKey("unit_role.id", ondelete="CASCADE"), primary_key=True),
    Column("function_id", ForeignKey("app_function.id", ondelete="CASCADE"), primary_key=True),
)


class AppFunction(Model):
    """A 功能权限 a unit administrator may tick; its FAB permissions are declared in code."""

    __tablename__ = "app_function"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    sort_order: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    def __repr__(self) -> str:
        return self.name


class UnitRole(Model):
    """A role defined by a unit administrator (角色定制), backed by a FAB role."""

    __tablename__ = "unit_role"
    __table_args__ = (UniqueConstraint("unit_id", "name", name="uq_unit_role_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(50), nullable=False)
    description: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    role_id: Mapped[int | None] = mapped_column(
        ForeignKey("ab_role.id", ondelete="SET NULL"), unique=True, nullable=True
    )

    unit: Mapped[Unit] = relationship(Unit)
    role: Mapped[Role | None] = relationship(Role)
    functions: Mapped[list[AppFunction]] = relationship(
        secondary=unit_role_function, order_by=AppFunction.sort_order
    )

    def __repr__(self) -> str:
        return self.name


class Operator(User):
    """A person who logs in: FAB's user extended with unit, post, phone and 内部审核标志."""

    __tablename__ = "ab_user"

    # Typed declarations (FAB's User is untyped for mypy): the columns FAB does not define.
    unit_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("unit.id"), nullable=True, index=True)
    post_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("post.id"), nullable=True, index=True)
    phone: Mapped[str | None] = mapped_column(String(20), nullable=True)
    internal_review: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=false())
    supplier_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("supplier.id"), nullable=True, unique=True)
    # Set by a login with a temporary password: nothing else is reachable until changed.
    must_change_password: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=false())
    # When a wrong password was last given (FAB keeps only the count): told at the next sign-in.
    last_failed_login: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # Raised by a password change or reset, deactivation and logout: every session cookie,
    # access token and refresh token carries the value it was issued under.
    credential_version: Mapped[int] = mapped_column(
        Integer, nullable=False, default=0, server_default="0")
    # Raised when an administrator unlocks the account: failure counts under an older
    # value no longer count.
    login_epoch: Mapped[int] = mapped_column(
        Integer, nullable=False, default=0, server_default="0")

    unit = relationship(Unit, foreign_keys=[unit_id])
    post = relationship(Post, foreign_keys=[post_id])
    supplier = relationship("Supplier", foreign_keys=[supplier_id])
    unit_roles = relationship(
        UnitRole, secondary=operator_unit_role, order_by=UnitRole.name
    )

    def get_id(self) -> str:
        """The identity a session cookie and a JWT carry: ``"<id>:<credential_version>"``."""
        # With the version inside it, raising credential_version ends whatever was issued
        # before (see ProcurementSecurityManager.load_user).
        return f"{self.id}:{self.credential_version or 0}"

    @property
    def display_name(self) -> str:
        """The person's name as entered (姓名)."""
        return f"{self.last_name}{self.first_name}".strip()

    @property
    def post_code(self) -> str | None:
        """The code of the user's post, e.g. ``clerk``."""
        return self.post.code if self.post else None
