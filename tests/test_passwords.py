"""The password policy, without an app."""

import pytest

from app.passwords import POLICY_TEXT, PasswordPolicyError, check_password


@pytest.mark.parametrize("password", ["Demo@2026", "abcd1234", "abcd!@#$", "1234!@#$", "Aa1!Aa1!"])
def test_accepts_two_classes_and_eight_characters(password: str) -> None:
    check_password(password)


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("", "请输入密码。"),
        ("abc12!", POLICY_TEXT),
        ("abcdefgh", POLICY_TEXT),
        ("12345678", POLICY_TEXT),
        ("!@#$%^&*", POLICY_TEXT),
        ("abcd 1234", "密码不能包含空格。"),
        ("密码密码abc12345", "密码只能由字母、数字和英文符号组成。"),
        ("a1" * 40, "密码不能超过64位。"),
    ],
)
def test_refuses_with_a_chinese_reason(password: str, message: str) -> None:
    with pytest.raises(PasswordPolicyError) as caught:
        check_password(password)
    assert str(caught.value) == message
