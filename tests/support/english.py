"""Find English a person could read on a rendered page."""

from __future__ import annotations

import re
from html.parser import HTMLParser

VISIBLE_ATTRS = ("title", "placeholder", "alt", "aria-label", "data-original-title")
WORD = re.compile(r"[A-Za-z][A-Za-z']+")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "noscript"):
            self._skip += 1
        for name, value in attrs:
            if value and name in VISIBLE_ATTRS:
                self.parts.append(value)
            if tag == "input" and name == "value" and value and (
                ("type", "submit") in attrs or ("type", "button") in attrs
            ):
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "noscript") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def english_words(html: str, allowed: set[str]) -> set[str]:
    """Words of two or more Latin letters in the visible text, less the ``allowed`` ones.

    Data such as account names and unit codes is allowed by the caller.
    """
    parser = _Text()
    parser.feed(html)
    text = " ".join(parser.parts)
    return {w for w in WORD.findall(text) if w.lower() not in allowed}


LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
# Latin the product itself shows: file types and the 导出Excel button.
PRODUCT_WORDS = frozenset({"PDF", "JPG", "PNG", "SVG", "Excel"})
SPENDING_PLAN_NUMBER = re.compile(r"YK\d{4}-[A-Z]+-\d{3}")


def latin_words(text: str, *data: str) -> set[str]:
    """Latin words a person would read in ``text`` (a page's inner text).

    The ``data`` strings shown (file names, codes), 用款计划 numbers and the product's own words
    are left out.
    """
    for shown in data:
        text = text.replace(shown, "")
    return set(LATIN_WORD.findall(SPENDING_PLAN_NUMBER.sub("", text))) - PRODUCT_WORDS
