"""What the database can hold, for every door to check before a value reaches it.

PostgreSQL refuses NUL in text and a value longer than its ``VARCHAR(n)``, and an integer id
beyond its ``INTEGER`` column; SQLite stores them or overflows differently. The checks here
make both answer alike, once, before the database is asked.
"""

from __future__ import annotations

import re

# INTEGER primary and foreign keys: PostgreSQL's int4.
MAX_ID = 2**31 - 1
# C0 controls but tab, newline and carriage return; DEL; C1 controls; unpaired surrogates
# (JSON's "\ud800" decodes to one; it cannot be encoded as UTF-8).
_BAD_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")

CONTROL_TEXT = "含有不允许的控制字符或无效字符，请删除后重新提交。"


def valid_id(value: object) -> bool:
    """Whether ``value`` can be a stored id: an int (not a bool) from 1 to :data:`MAX_ID`."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


def id_in_text(value: str) -> int | None:
    """The id written in ``value`` (digits only, within :data:`MAX_ID`), else ``None``."""
    if not value.isascii() or not value.isdigit() or len(value) > 10:
        return None
    number = int(value)
    return number if valid_id(number) else None


def bad_text(value: str) -> bool:
    """Whether ``value`` holds a character no stored text may hold (NUL, controls, surrogates)."""
    return _BAD_TEXT.search(value) is not None
