"""Accounts: SMS records, temporary passwords, recovery audit and self-registrations."""

from __future__ import annotations

from datetime import datetime

from flask_appbuilder import Model
from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.clock import utcnow
from models.organisation import Unit
from models.people import Operator


class SmsMessage(Model):
    """短信记录: every SMS, kept before delivery; a secret in it is redacted once it is dead."""

    __tablename__ = "sms_message"
    __table_args__ = (Index("ix_sms_due", "status", "next_attempt_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), nullable=False)
    purpose: Mapped[str] = mapped_column(String(32), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    redacted: Mapped[str] = mapped_column(Text, nullable=False)  # body without its secret
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="pending")
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_on: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    last_error: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_on: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    delivered_on: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class TemporaryPassword(Model):
    """A random single-use password sent by SMS; valid until it expires, is used or replaced."""

    __tablename__ = "temporary_password"
    __table_args__ = (Index("ix_temporary_password_live", "operator_id", "used_on", "expires_on"),
                      Index("ix_temporary_password_expiry", "expires_on"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id"), nullable=False)
    password_hash: Mapped[str] = mapped_column(String(256), nullable=False)
    sms_id: Mapped[int | None] = mapped_column(ForeignKey("sms_message.id"), nullable=True)
    created_on: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    expires_on: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    used_on: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    operator: Mapped[Operator] = relationship()
    sms: Mapped[SmsMessage | None] = relationship()


class RecoveryAttempt(Model):
    """找回密码记录: every attempt, whatever its outcome (the form answers the same)."""

    __tablename__ = "recovery_attempt"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_on: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow,
                                                 index=True)
    client: Mapped[str] = mapped_column(String(64), nullable=False)
    credit_code: Mapped[str] = mapped_column(String(32), nullable=False, index=True)
    phone_tail: Mapped[str] = mapped_column(String(8), nullable=False)
    outcome: Mapped[str] = mapped_column(String(16), nullable=False)


class UnitRegistration(Model):
    """采购人注册: a unit that registered itself, reviewed by its region's 市采购办."""

    __tablename__ = "unit_registration"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), nullable=False, unique=True)
    admin_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id"), nullable=False)
    credit_code: Mapped[str] = mapped_column(String(18), nullable=False)
    address: Mapped[str] = mapped_column(String(200), nullable=False)
    phone: Mapped[str] = mapped_column(String(20), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="draft", index=True)
    created_on: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    completed_on: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    unit: Mapped[Unit] = relationship()
    admin: Mapped[Operator] = relationship()

    def __repr__(self) -> str:
        return f"采购人注册 {self.unit.name}" if self.unit else "采购人注册"
