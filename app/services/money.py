"""Money: the one parser of amounts typed by people or sent by systems, and the one format.

Every amount of the panel (预算金额, 合同金额, 计划金额, 调减金额…) follows the same rules:

- Accepted types are ``str``, ``int`` and ``Decimal``. ``float`` and ``bool`` are refused:
  money is never float. A caller that receives a float (a spreadsheet cell, a JSON number)
  converts it to text itself, explicitly (see ``spending_plans``).
- Text is digits ``0-9`` with at most one ``.`` and digits on both sides of it (``0.5``, not
  ``.5`` or ``5.``), surrounding whitespace ignored. No exponent (``1e5``), no ``NaN`` or
  ``Infinity``, no ``+``, no spaces inside, no currency sign, no other script's digits.
- A leading ``-`` is read so that the refusal can say the amount is negative; every amount
  here is at least 0 (``-0`` too is refused: it is a sign trick, not an amount).
- Full-width forms typed in a Chinese input method's full-width mode are read as their ASCII
  forms: ``０``-``９``, ``．``, ``，`` and ``－``. They are the same characters to the person
  typing; refusing them would only puzzle them.
- Thousands separators are accepted where they belong, in groups of three before the point:
  ``1,234,567.80`` (as :func:`format_money` writes it and spreadsheets export it). Anywhere
  else (``12,34``, ``1,2345``, ``1.234,5``) the text is refused: ``12,34`` may mean 12.34.
- At most two decimals: ``1.005`` is refused, never rounded; zeros past the second decimal
  change nothing and are accepted (``1.500`` is 1.50).
- At most :data:`MAX_AMOUNT` (9,999,999,999,999,999.99, the ``Numeric(18, 2)`` column):
  anything from 10^16 up is refused with :class:`~app.services.errors.AmountTooLarge`.

The checks run in that order: the form of the text, the sign (and, for ``positive``, zero),
the decimals, the maximum.
"""

from __future__ import annotations

import re
from decimal import Decimal

from app.services.errors import AmountTooLarge, InvalidAmount

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MAX_AMOUNT = Decimal("9999999999999999.99")  # Numeric(18, 2): 16 digits before the point
INTEGER_DIGITS = 16

MISSING = "请填写{label}。"
NOT_A_NUMBER = "{label}必须是金额数字。"
NOT_TEXT = "{label}必须是金额数字（请以文本提交，如“150000.00”）。"
NEGATIVE = "{label}不能为负数。"
NOT_POSITIVE = "{label}必须大于0。"
DECIMALS = "{label}最多保留两位小数。"
TOO_LARGE = "{label}超出允许的范围。"

_FULL_WIDTH = str.maketrans("０１２３４５６７８９．，－", "0123456789.,-")
_AMOUNT = re.compile(r"(-?)([0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.([0-9]+))?")
# Past this many digits an int or Decimal is too large whatever it is; no need to spell it out.
_DIGITS_CAP = 40


def format_money(value: Decimal | None) -> str:
    """An amount as people read it: ``1,234,567.80 元``; ``None`` is empty."""
    return "" if value is None else f"{value:,.2f} 元"


def parse_money(value: object, label: str, *, positive: bool = False,
                field: str | None = None) -> Decimal:
    """The amount in ``value``, quantized to cents, following the module's rules.

    :param label: the amount's Chinese name; every message names it, e.g. ``请填写合同金额。``
    :param positive: refuse 0 too (``…必须大于0。``); otherwise 0 is an amount
    :param field: the input field the refusal concerns, set on the error when given
    :raises InvalidAmount: when ``value`` is missing (``None`` or blank), not an amount,
        negative (or 0 with ``positive``) or has more than two decimals
    :raises AmountTooLarge: when it is 10^16 or more
    """
    amount = optional_money(value, label, positive=positive, field=field)
    if amount is None:
        raise InvalidAmount(MISSING.format(label=label), field=field)
    return amount


def optional_money(value: object, label: str, *, positive: bool = False,
                   field: str | None = None) -> Decimal | None:
    """Like :func:`parse_money`, but ``None`` or blank text means no amount: ``None``.

    For an amount a form may leave empty, e.g. 变更后中标金额 (``None``: unchanged).

    :raises InvalidAmount: as :func:`parse_money`, except for a missing value
    :raises AmountTooLarge: as :func:`parse_money`
    """
    parts = _parts(value, label, field)
    if parts is None:
        return None
    negative, integer, fraction = parts
    integer, fraction = integer.lstrip("0"), fraction.rstrip("0")
    if negative:
        raise InvalidAmount((NOT_POSITIVE if positive else NEGATIVE).format(label=label),
                            field=field)
    if positive and not integer and not fraction:
        raise InvalidAmount(NOT_POSITIVE.format(label=label), field=field)
    if len(fraction) > 2:
        raise InvalidAmount(DECIMALS.format(label=label), field=field)
    if len(integer) > INTEGER_DIGITS:
        raise AmountTooLarge(TOO_LARGE.format(label=label), field=field)
    return Decimal(f"{integer or '0'}.{fraction or '0'}").quantize(CENT)


def _parts(value: object, label: str, field: str | None) -> tuple[bool, str, str] | None:
    """(negative, digits before the point, digits after it), or None for no value."""
    if value is None:
        return None
    if isinstance(value, bool | float):
        raise InvalidAmount((NOT_A_NUMBER if isinstance(value, bool) else NOT_TEXT)
                            .format(label=label), field=field)
    if isinstance(value, int):
        magnitude = abs(value)
        digits = str(magnitude) if magnitude < 10 ** _DIGITS_CAP else "9" * (_DIGITS_CAP + 1)
        return value < 0, digits, ""
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise InvalidAmount(NOT_A_NUMBER.format(label=label), field=field)
        size = abs(value)
        if not size:
            return value.is_signed(), "", ""
        if size.adjusted() >= _DIGITS_CAP:
            return value.is_signed(), "9" * (_DIGITS_CAP + 1), ""
        if size.adjusted() < -_DIGITS_CAP:
            return value.is_signed(), "", "9" * (_DIGITS_CAP + 1)
        integer, _, fraction = format(size, "f").partition(".")
        return value.is_signed(), integer, fraction
    if not isinstance(value, str):
        raise InvalidAmount(NOT_A_NUMBER.format(label=label), field=field)
    text = value.translate(_FULL_WIDTH).strip()
    if not text:
        return None
    match = _AMOUNT.fullmatch(text)
    if match is None:
        raise InvalidAmount(NOT_A_NUMBER.format(label=label), field=field)
    sign, integer, fraction = match.groups()
    return sign == "-", integer.replace(",", ""), fraction or ""
