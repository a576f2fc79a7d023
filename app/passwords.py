"""The password policy, applied on every path that sets a password."""

from __future__ import annotations

import string

from flask import current_app
from flask_appbuilder.exceptions import PasswordComplexityValidationError
from werkzeug.security import generate_password_hash

MIN_LENGTH = 8
MAX_LENGTH = 64
POLICY_TEXT = "密码至少8位，且须包含字母、数字、符号中的至少两类。"


class PasswordPolicyError(ValueError):
    """The password does not satisfy the policy; the message is for the user."""


def check_password(password: str) -> None:
    """Raise :class:`PasswordPolicyError` unless ``password`` satisfies the policy.

    :param password: the plain-text candidate
    :raises PasswordPolicyError: with a Chinese message naming what is missing
    """
    if not password:
        raise PasswordPolicyError("请输入密码。")
    if any(ch.isspace() for ch in password):
        raise PasswordPolicyError("密码不能包含空格。")
    if len(password) < MIN_LENGTH:
        raise PasswordPolicyError(POLICY_TEXT)
    if len(password) > MAX_LENGTH:
        raise PasswordPolicyError(f"密码不能超过{MAX_LENGTH}位。")
    classes = (
        any(ch.isascii() and ch.isalpha() for ch in password),
        any(ch.isdigit() for ch in password),
        any(ch in string.punctuation for ch in password),
    )
    if any(not (ch.isascii() and ch.isprintable()) for ch in password):
        raise PasswordPolicyError("密码只能由字母、数字和英文符号组成。")
    if sum(classes) < 2:
        raise PasswordPolicyError(POLICY_TEXT)


def fab_password_validator(password: str) -> None:
    """Adapter for FAB's ``FAB_PASSWORD_COMPLEXITY_VALIDATOR`` hook."""
    try:
        check_password(password)
    except PasswordPolicyError as exc:
        raise PasswordComplexityValidationError(str(exc)) from exc


def hash_password(password: str) -> str:
    """Check ``password`` against the policy and return its hash for storage.

    :raises PasswordPolicyError: when the policy is not met
    """
    check_password(password)
    return generate_password_hash(
        password,
        method=current_app.config.get("FAB_PASSWORD_HASH_METHOD", "scrypt"),
        salt_length=current_app.config.get("FAB_PASSWORD_HASH_SALT_LENGTH", 16),
    )
