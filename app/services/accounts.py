"""Supplier accounts: registration, 找回密码 with a single-use SMS password, forced change."""

from __future__ import annotations

import re
import secrets
import string
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session
from stdnum.cn import uscc
from werkzeug.security import check_password_hash, generate_password_hash

from app.passwords import PasswordPolicyError, hash_password
from app.permissions import SUPPLIER
from app.ratelimit import check, hit
from app.services.base import matched_rows
from app.services.contracts import check_credit_code, validate_supplier
from app.services.errors import RateLimited, ServiceError, ValidationFailed
from app.services.operators import MOBILE, PLACEHOLDER_EMAIL_DOMAIN, end_sessions, post_by_code
from app.services.sms import queue_notices, queue_sms, redact
from app.timezone import utcnow
from models import Operator, RecoveryAttempt, SmsMessage, Supplier, TemporaryPassword

RECOVERY_ANSWER = ("找回密码申请已受理。如统一社会信用代码与手机号码和注册信息一致，系统已向该手机"
                   "发送短信，内含用户名和临时密码（{minutes}分钟内有效，仅可使用一次）。"
                   "请用临时密码登录并立即修改密码。")
PASSWORD_CHANGED = "密码修改成功！"
SUPPLIER_REGISTERED = ("注册申请已受理。登录用户名为 {username}，请牢记登录密码。"
                       "如该统一社会信用代码已注册，原账号不变，可通过“找回密码”取回。")
TAKEN_NOTICE = ("【河南省政府采购网】有人以统一社会信用代码{code}申请供应商注册。该代码已注册，"
                "原账号不变，未新建账号；如需取回账号，请在登录页使用“找回密码”。"
                "如非贵单位操作，请忽略。")
WRONG_CURRENT_PASSWORD = "当前密码不正确，密码未修改。"


# A supplier's login name is its 统一社会信用代码 (see :func:`_add_account`).
SUPPLIER_NAME = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}$")


def supplier_shaped(username: str) -> bool:
    """Whether a login name is written like a supplier's (a 统一社会信用代码), known or not."""
    return bool(SUPPLIER_NAME.match(username.strip().upper()))


def recovery_answer() -> str:
    """The one answer the 找回密码 form gives, whatever matched."""
    return RECOVERY_ANSWER.format(minutes=current_app.config["TEMP_PASSWORD_MINUTES"])


def _temporary_password() -> str:
    """Ten random letters and digits, with at least one of each."""
    alphabet = string.ascii_letters + string.digits
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(10))
        if any(c.isdigit() for c in candidate) and any(c.isalpha() for c in candidate):
            return candidate


def _audit(session: Session, client: str, code: str, phone: str, outcome: str) -> None:
    session.add(RecoveryAttempt(client=client[:64], credit_code=code[:32],
                                phone_tail=phone[-4:], outcome=outcome, created_on=utcnow()))


def request_recovery(session: Session, credit_code: str, phone: str,
                     client: str) -> ServiceError | None:
    """找回密码: when the code and a phone registered for the supplier match, send by SMS a new
    random single-use password valid for TEMP_PASSWORD_MINUTES. Every attempt is audited.
    The phones are the supplier's current ones (供应商信息); a supplier without an account yet
    (added by the administrator) gets one this way.

    The caller answers :func:`recovery_answer` whether or not anything matched. A refused
    attempt is audited too, so its refusal is returned rather than raised: the boundary
    commits the audit row and then shows the refusal.

    Limits: RECOVERY_RATE_LIMIT per client, and RECOVERY_PHONE_RATE_LIMIT SMS per phone,
    counted only when code and phone match (when an SMS would go). Nobody can therefore spend
    a supplier's recoveries without its phone number, and a spent budget answers like any
    other request: no SMS, the same answer.

    :returns: ``None``, or the :class:`ValidationFailed` (malformed code or phone; says nothing
        of accounts) or :class:`RateLimited` (too many attempts from this client) to show
    """
    code = uscc.compact(credit_code or "")
    phone = (phone or "").strip()
    try:
        check("recovery-client", client, "RECOVERY_RATE_LIMIT")
    except RateLimited as limited:
        _audit(session, client, code, phone, "limited")
        return limited
    try:
        code = check_credit_code(code)
        if not MOBILE.match(phone):
            raise ValidationFailed("请输入11位手机号码。")
    except ValidationFailed as invalid:
        _audit(session, client, code, phone, "invalid")
        return invalid
    operator = _recovering(session, code, phone)
    within_budget = operator is not None and hit(
        current_app.config["RECOVERY_PHONE_RATE_LIMIT"], "recovery-phone", phone)
    if operator is None or not within_budget:
        # As much work as a match (a password hash), so the time taken tells nothing either.
        generate_password_hash(_temporary_password())
        _audit(session, client, code, phone, "no_match" if operator is None else "sms_limited")
        return None
    now = utcnow()
    _retire_live(session, operator.id, now)
    password = _temporary_password()
    minutes = current_app.config["TEMP_PASSWORD_MINUTES"]
    text = (f"【河南省政府采购网】您的用户名：{operator.username}，临时密码：{password}，"
            f"{minutes}分钟内有效，仅可使用一次。登录后须立即修改密码。如非本人操作，请忽略。")
    sms = queue_sms(session, phone, "password_recovery", text, secret=password)
    session.flush()
    session.add(TemporaryPassword(
        operator_id=operator.id, password_hash=generate_password_hash(password), sms_id=sms.id,
        created_on=now, expires_on=now + timedelta(minutes=minutes)))
    _audit(session, client, code, phone, "sent")
    return None


def _recovering(session: Session, code: str, phone: str) -> Operator | None:
    """The active account of the supplier whose code and current contact or legal phone match.

    A supplier the administrator added has no account yet: the first recovery with the same
    proof opens it (认领), as 供应商注册 tells a supplier whose code is already registered.
    """
    supplier = session.scalar(select(Supplier).where(
        Supplier.credit_code == code,
        or_(Supplier.contact_phone == phone, Supplier.legal_phone == phone)))
    if supplier is None:
        return None
    accounts = list(session.scalars(select(Operator).where(Operator.supplier_id == supplier.id)))
    if accounts:
        return next((account for account in accounts if account.active), None)
    if session.scalar(select(Operator.id).where(func.upper(Operator.username) == code)):
        return None  # the name is taken by another account: nothing to open
    # A password nobody knows: the account is entered with the temporary one only.
    account = _add_account(session, supplier, generate_password_hash(secrets.token_urlsafe(32)))
    session.flush()
    return account


def _retire_live(session: Session, operator_id: int, now: datetime) -> None:
    """A new temporary password replaces any earlier one still live."""
    live = list(session.scalars(select(TemporaryPassword).where(
        TemporaryPassword.operator_id == operator_id, TemporaryPassword.used_on.is_(None),
        TemporaryPassword.expires_on > now)))
    for item in live:
        item.expires_on = now
    redact(session, [item.sms_id for item in live if item.sms_id])


def use_temporary_password(session: Session, operator: Operator, password: str) -> bool:
    """Accept a live temporary password once; the operator must then change the password.

    :returns: whether ``password`` was a live temporary password of ``operator`` (now used)
    """
    now = utcnow()
    live = session.scalars(select(TemporaryPassword).where(
        TemporaryPassword.operator_id == operator.id, TemporaryPassword.used_on.is_(None),
        TemporaryPassword.expires_on > now))
    for item in live:
        if check_password_hash(item.password_hash, password):
            # Conditional update: of two simultaneous logins with it, only one uses it.
            used = session.execute(update(TemporaryPassword).where(
                TemporaryPassword.id == item.id, TemporaryPassword.used_on.is_(None))
                .values(used_on=now))
            if matched_rows(used) != 1:
                return False
            operator.must_change_password = True
            redact(session, [item.sms_id] if item.sms_id else [])
            return True
    return False


def expire_temporary_passwords(session: Session, now: datetime | None = None) -> int:
    """Redact the SMS of temporary passwords that expired unused; returns how many."""
    now = now or utcnow()
    dead = list(session.scalars(
        select(SmsMessage.id).select_from(TemporaryPassword).join(SmsMessage)
        .where(TemporaryPassword.used_on.is_(None), TemporaryPassword.expires_on <= now,
               SmsMessage.body != SmsMessage.redacted)))
    redact(session, dead)
    return len(dead)


def new_password_hash(new: str, confirm: str) -> str:
    """The hash of an acceptable new password (checked before anything is spent on it).

    :raises ValidationFailed: when the two entries differ or the policy is not met
    """
    if new != confirm:
        raise ValidationFailed("两次输入的新密码不一致。")
    try:
        return hash_password(new)
    except PasswordPolicyError as exc:
        raise ValidationFailed(str(exc), "password") from exc


def change_password(session: Session, operator: Operator, new: str, confirm: str) -> None:
    """Set a new password (the forced change after a temporary one, or any change); every
    session and token issued to ``operator`` before ends (:func:`end_sessions`).

    :raises ValidationFailed: when the two entries differ or the policy is not met
    """
    operator.password = new_password_hash(new, confirm)
    end_sessions(session, operator)
    operator.must_change_password = False
    operator.fail_login_count = 0
    session.execute(update(TemporaryPassword).where(
        TemporaryPassword.operator_id == operator.id, TemporaryPassword.used_on.is_(None))
        .values(expires_on=utcnow()))


def change_own_password(session: Session, operator: Operator, current: str, new: str,
                        confirm: str) -> None:
    """个人信息 → 修改密码: the signed-in person proves the current password, then sets a new
    one as :func:`change_password` does (their other sessions and tokens end).

    :raises RateLimited: too many attempts for this account (LOGIN_RATE_LIMIT)
    :raises ValidationFailed: a wrong current password (nothing changes), or a new one the
        policy refuses or typed differently twice
    """
    # Limited per account: a borrowed session must not become a way to guess the password.
    check("password-change", str(operator.id), "LOGIN_RATE_LIMIT")
    if not current or not operator.password or \
            not check_password_hash(operator.password, current):
        raise ValidationFailed(WRONG_CURRENT_PASSWORD, "current_password")
    change_password(session, operator, new, confirm)


def registration_answer(username: str) -> str:
    """The one answer 供应商注册 gives, whether the code was new or already registered."""
    return SUPPLIER_REGISTERED.format(username=username)


def register_supplier(session: Session, supplier: Supplier, password: str, confirm: str,
                      client: str) -> str:
    """供应商注册: the supplier and its account (login name = 统一社会信用代码).

    A code already registered (as a supplier or as a login account) is answered like a new
    one, so that the form tells nobody which codes exist: nothing is created and the
    registered phones are told by SMS (REGISTRATION_NOTICE_RATE_LIMIT per phone). Every
    check of the input runs either way, and so does the password hash.

    :returns: the login name, for :func:`registration_answer`
    :raises ValidationFailed: naming the field, e.g. a wrong check digit or a weak password
    :raises RateLimited: too many registrations from this client
    """
    check("registration", client, "REGISTRATION_RATE_LIMIT")
    validate_supplier(session, supplier, unique=False)
    if password != confirm:
        raise ValidationFailed("两次输入的密码不一致。")
    hashed = _policy_hash(password)
    code = supplier.credit_code
    phones = _registered_phones(session, code)
    if phones is None:
        _add_account(session, supplier, hashed)
    else:
        queue_notices(session, phones, "registration_notice", TAKEN_NOTICE.format(code=code),
                      "REGISTRATION_NOTICE_RATE_LIMIT")
    return code


def _registered_phones(session: Session, code: str) -> list[str] | None:
    """The phones registered for ``code`` (a supplier, or an account so named); None: new."""
    found = session.scalar(select(Supplier).where(Supplier.credit_code == code))
    if found is not None:
        return [found.contact_phone, found.legal_phone]
    account = session.scalar(select(Operator).where(func.upper(Operator.username) == code))
    if account is not None:
        return [account.phone or ""]
    return None


def _policy_hash(password: str) -> str:
    try:
        return hash_password(password)
    except PasswordPolicyError as exc:
        raise ValidationFailed(str(exc), "password") from exc


def supplier_account(session: Session, supplier: Supplier, password: str) -> Operator:
    """Add a validated supplier and its login account (not committed).

    :raises ValidationFailed: when the password breaks the policy
    """
    return _add_account(session, supplier, _policy_hash(password))


def _add_account(session: Session, supplier: Supplier, hashed: str) -> Operator:
    session.add(supplier)
    session.flush()
    account = Operator(
        username=supplier.credit_code, first_name=supplier.contact_name, last_name="",
        email=f"{supplier.credit_code.lower()}@{PLACEHOLDER_EMAIL_DOMAIN}", password=hashed,
        phone=supplier.contact_phone, active=True, supplier_id=supplier.id,
        post=post_by_code(session, SUPPLIER), internal_review=False)
    account.unit_roles = []
    session.add(account)
    return account
