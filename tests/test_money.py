"""The one money parser: every amount of the panel follows the same rules (app.services.money)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from app.services.errors import AmountTooLarge, InvalidAmount, ValidationFailed
from app.services.money import MAX_AMOUNT, format_money, optional_money, parse_money

LABEL = "合同金额"


def refusal(value: Any, **options: Any) -> str:
    with pytest.raises(ValidationFailed) as caught:
        parse_money(value, LABEL, **options)
    return caught.value.message


@pytest.mark.parametrize(("value", "expected"), [
    ("150000.00", "150000.00"),
    ("1", "1.00"),
    (" 12.5 ", "12.50"),
    ("\u300012.5\u3000", "12.50"),  # full-width spaces around
    ("0.01", "0.01"),
    ("0", "0.00"),
    ("0.00", "0.00"),
    ("007", "7.00"),
    ("1.500", "1.50"),  # zeros past the second decimal change nothing: nothing is rounded
    (5, "5.00"),
    (0, "0.00"),
    (Decimal("3.1"), "3.10"),
    (Decimal("1E+5"), "100000.00"),  # a Decimal is a value, not typed text
    (Decimal("2.000"), "2.00"),
])
def test_valid_amounts(value: Any, expected: str) -> None:
    amount = parse_money(value, LABEL)
    assert amount == Decimal(expected) and str(amount) == expected


def test_two_decimals_and_no_more() -> None:
    assert parse_money("0.99", LABEL) == Decimal("0.99")
    assert refusal("1.005") == "合同金额最多保留两位小数。"
    assert refusal("0.001") == "合同金额最多保留两位小数。"
    assert refusal(Decimal("1.005")) == "合同金额最多保留两位小数。"
    assert refusal(Decimal("1E-50")) == "合同金额最多保留两位小数。"


@pytest.mark.parametrize("value", ["1e5", "1E5", "1e-2", "1e309", "1.5e3", "1E+16"])
def test_exponents_are_refused(value: str) -> None:
    assert refusal(value) == "合同金额必须是金额数字。"


@pytest.mark.parametrize("value", ["NaN", "nan", "sNaN", "Infinity", "inf", "-inf", "+Infinity",
                                   Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity")])
def test_nan_and_infinity_are_refused(value: Any) -> None:
    assert refusal(value) == "合同金额必须是金额数字。"


def test_four_hundred_digits() -> None:
    with pytest.raises(AmountTooLarge) as caught:
        parse_money("9" * 400, LABEL)
    assert caught.value.message == "合同金额超出允许的范围。"
    assert parse_money("0" * 398 + "12", LABEL) == Decimal("12.00")
    assert refusal("0." + "0" * 398 + "1") == "合同金额最多保留两位小数。"
    assert refusal("1" * 200 + "." + "1" * 200) == "合同金额最多保留两位小数。"


def test_1e309_in_every_type() -> None:
    assert refusal("1e309") == "合同金额必须是金额数字。"
    assert refusal(float("1e309")) == "合同金额必须是金额数字（请以文本提交，如“150000.00”）。"
    for value in (10 ** 309, Decimal("1e309"), Decimal("1e999999")):
        with pytest.raises(AmountTooLarge):
            parse_money(value, LABEL)


def test_maximum_is_below_ten_to_the_sixteenth() -> None:
    assert MAX_AMOUNT == Decimal("9999999999999999.99")
    assert parse_money("9999999999999999.99", LABEL) == MAX_AMOUNT
    assert parse_money("9,999,999,999,999,999.99", LABEL) == MAX_AMOUNT
    assert parse_money(10 ** 16 - 1, LABEL) == Decimal("9999999999999999.00")
    for value in ("10000000000000000", "10000000000000000.00", 10 ** 16,
                  Decimal("1E+16"), "12345678901234567"):
        with pytest.raises(AmountTooLarge) as caught:
            parse_money(value, LABEL)
        assert caught.value.code == "amount_too_large"


@pytest.mark.parametrize(("value", "expected"), [
    ("１２３", "123.00"),
    ("１２３．４５", "123.45"),
    ("１，２３４．５", "1234.50"),
    ("1２3.4５", "123.45"),
])
def test_full_width_digits_are_read_as_ascii(value: str, expected: str) -> None:
    assert parse_money(value, LABEL) == Decimal(expected)


def test_negative_amounts() -> None:
    assert refusal("-1") == "合同金额不能为负数。"
    assert refusal("-0.01") == "合同金额不能为负数。"
    assert refusal("－１") == "合同金额不能为负数。"
    assert refusal(-5) == "合同金额不能为负数。"
    assert refusal(Decimal("-3")) == "合同金额不能为负数。"
    assert refusal("-1", positive=True) == "合同金额必须大于0。"
    # -0 is a sign trick, not an amount
    assert refusal("-0") == "合同金额不能为负数。"
    assert refusal(Decimal("-0")) == "合同金额不能为负数。"
    # The sign comes before the other checks.
    assert refusal("-1.005") == "合同金额不能为负数。"
    assert refusal("-" + "9" * 30) == "合同金额不能为负数。"


def test_zero() -> None:
    assert parse_money("0", LABEL) == Decimal("0.00")
    for value in ("0", "0.00", "000", 0, Decimal("0")):
        assert refusal(value, positive=True) == "合同金额必须大于0。"
    assert parse_money("0.01", LABEL, positive=True) == Decimal("0.01")


@pytest.mark.parametrize(("value", "expected"), [
    ("1,234.56", "1234.56"),
    ("1,234,567", "1234567.00"),
    ("123,456", "123456.00"),
    ("1,234,567.80", "1234567.80"),
])
def test_thousands_separators_where_they_belong(value: str, expected: str) -> None:
    assert parse_money(value, LABEL) == Decimal(expected)


@pytest.mark.parametrize("value", ["12,34", "1,2345", ",123", "1,234,56", "1.234,5", "1,234.",
                                   "1,,234", "1234,567", "1,234.5,6", "12,3456.00"])
def test_misplaced_separators_are_refused(value: str) -> None:
    assert refusal(value) == "合同金额必须是金额数字。"


@pytest.mark.parametrize("value", [
    "+1", "++1", "--1", "- 1", "1-", "+-1", "−1", "1 000", ".5", "5.", "1..5", "1.2.3",
    "¥100", "100元", "十五万", "abc", "0x10", "1_000", "١٢٣", "１_０００", "1\n2", "\u200b1",
])
def test_sign_tricks_and_other_text_are_refused(value: str) -> None:
    assert refusal(value) == "合同金额必须是金额数字。"


def test_money_is_never_float() -> None:
    assert refusal(1.5) == "合同金额必须是金额数字（请以文本提交，如“150000.00”）。"
    assert refusal(100.0) == "合同金额必须是金额数字（请以文本提交，如“150000.00”）。"
    assert refusal(float("nan")) == "合同金额必须是金额数字（请以文本提交，如“150000.00”）。"


@pytest.mark.parametrize("value", [True, False, b"100", [100], {"amount": "1"}, object()])
def test_other_types_are_refused(value: Any) -> None:
    assert refusal(value) == "合同金额必须是金额数字。"


@pytest.mark.parametrize("value", [None, "", "   ", "\u3000"])
def test_missing_amounts(value: Any) -> None:
    assert refusal(value) == "请填写合同金额。"
    assert refusal(value, positive=True) == "请填写合同金额。"
    assert optional_money(value, LABEL) is None


def test_optional_amounts_follow_the_same_rules() -> None:
    assert optional_money("1,000.5", "变更后中标金额") == Decimal("1000.50")
    assert optional_money("0", "变更后中标金额") == Decimal("0.00")
    with pytest.raises(InvalidAmount, match="^变更后中标金额最多保留两位小数。$"):
        optional_money("1.005", "变更后中标金额")  # refused, never rounded
    with pytest.raises(InvalidAmount, match="^变更后中标金额不能为负数。$"):
        optional_money("-1", "变更后中标金额")
    with pytest.raises(AmountTooLarge):
        optional_money("1" * 17, "变更后中标金额")


def test_refusals_name_the_field_and_keep_the_invalid_code() -> None:
    with pytest.raises(InvalidAmount) as caught:
        parse_money("abc", "调减金额", field="amount")
    assert caught.value.as_dict() == {"code": "invalid", "message": "调减金额必须是金额数字。",
                                      "field": "amount"}
    with pytest.raises(AmountTooLarge) as too_large:
        parse_money("1" + "0" * 20, "调减金额", field="amount")
    assert too_large.value.field == "amount"
    with pytest.raises(InvalidAmount) as without:
        parse_money("", "调减金额")
    assert without.value.field is None


def test_format_money() -> None:
    assert format_money(Decimal("1234567.8")) == "1,234,567.80 元"
    assert format_money(Decimal("0")) == "0.00 元"
    assert format_money(None) == ""


@pytest.mark.parametrize("text", ["0.01", "1234567.8", "9999999999999999.99", "100"])
def test_what_format_money_writes_parses_back(text: str) -> None:
    amount = Decimal(text)
    assert parse_money(format_money(amount).removesuffix(" 元"), LABEL) == amount
