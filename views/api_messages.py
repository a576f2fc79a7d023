"""Marshmallow's validation messages in Chinese, for every REST answer that carries them."""

from __future__ import annotations

import re
from typing import Any

EXACT = {
    "Missing data for required field.": "必填项，不能缺少。",
    "Field may not be null.": "不能为空。",
    "Invalid value.": "取值无效。",
    "Not a valid string.": "应为文本。",
    "Not a valid utf-8 string.": "应为 UTF-8 文本。",
    "Not a valid integer.": "应为整数。",
    "Not a valid number.": "应为数字。",
    "Number too large.": "数值过大。",
    "Special numeric values (nan or infinity) are not permitted.": "不允许 NaN 或无穷大。",
    "Not a valid date.": "应为日期，格式 YYYY-MM-DD。",
    "Not a valid datetime.": "应为日期时间，格式 YYYY-MM-DDTHH:MM:SS。",
    "Not a valid boolean.": "应为 true 或 false。",
    "Not a valid list.": "应为列表。",
    "Not a valid mapping type.": "应为对象（键值对）。",
    "Invalid type.": "类型无效。",
    "Invalid input type.": "请求内容类型无效，应为 JSON 对象。",
    "Unknown field.": "未知字段。",
    "Not a valid email address.": "电子邮箱格式不正确。",
    "String does not match expected pattern.": "格式不正确。",
    "Invalid input.": "取值无效。",
    "Related object doesn't exist in DB": "关联的记录不存在。",
}
PATTERNS = (
    (re.compile(r"^Must be one of: (.*)\.$"), "取值无效，可选：{0}。"),
    (re.compile(r"^Length must be between (\S+) and (\S+)\.$"), "长度应在 {0} 到 {1} 之间。"),
    (re.compile(r"^Shorter than minimum length (\S+)\.$"), "长度不能少于 {0}。"),
    (re.compile(r"^Longer than maximum length (\S+)\.$"), "长度不能超过 {0}。"),
    (re.compile(r"^Must be greater than or equal to (\S+)\.$"), "不能小于 {0}。"),
    (re.compile(r"^Must be less than or equal to (\S+)\.$"), "不能大于 {0}。"),
)


_TRANSLATED = tuple(re.compile(re.escape(template).replace(r"\{0\}", ".+")
                               .replace(r"\{1\}", ".+") + "$") for _, template in PATTERNS)


def names_no_field(text: str) -> bool:
    """Whether ``text`` is one of marshmallow's messages, which do not say which field."""
    return text in EXACT.values() or any(p.match(text) for p in _TRANSLATED)


def chinese(messages: Any) -> Any:
    """The same structure (dict, list or text) with every known English message in Chinese."""
    if isinstance(messages, dict):
        return {key: chinese(value) for key, value in messages.items()}
    if isinstance(messages, list | tuple):
        return [chinese(value) for value in messages]
    if not isinstance(messages, str):
        return messages
    if messages in EXACT:
        return EXACT[messages]
    for pattern, template in PATTERNS:
        found = pattern.match(messages)
        if found:
            return template.format(*found.groups())
    return messages


def first_error(messages: Any) -> tuple[str | None, str]:
    """The first field and its first message of a marshmallow error structure.

    Nested fields are named by their path (``items.0.amount``).
    """
    if isinstance(messages, dict):
        for key, value in messages.items():
            field, text = first_error(value)
            return (f"{key}.{field}" if field else str(key)), text
    if isinstance(messages, list | tuple) and messages:
        return first_error(messages[0])
    return None, str(messages) if messages else "请求内容不符合要求。"
