"""Numbers as members write them in Chinese: "两周" (2 weeks), "第三课" (lesson 3)."""

from __future__ import annotations

import re

_ZH_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
_ZH_DIGITS |= {"六": 6, "七": 7, "八": 8, "九": 9}
_NUMERALS = "[一二两三四五六七八九十]+"
_LEADING = re.compile(f"^{_NUMERALS}")
_ORDINAL = re.compile(rf"^(?:第\s*([0-9]+|{_NUMERALS})\s*[课节讲章]?|(?:lesson|#)\s*([0-9]+))$")


def zh_number(text: str) -> int:
    """A Chinese number up to 99: 两 2, 十 10, 十五 15, 二十 20; 0 for anything else."""
    if "十" not in text:
        return _ZH_DIGITS.get(text[-1:], 0) if len(text) == 1 else 0
    tens, _, ones = text.partition("十")
    if len(tens) > 1 or len(ones) > 1:
        return 0
    return _ZH_DIGITS.get(tens, 1 if not tens else 0) * 10 + _ZH_DIGITS.get(ones, 0)


def leading_digits(text: str) -> str:
    """A Chinese number at the start written in digits: "两周" -> "2周", "十五天" -> "15天"."""
    return _LEADING.sub(lambda m: str(zh_number(m[0])), text)


def ordinal(text: str) -> int | None:
    """The place a member names: "第一课", "第 2 节", "lesson 3", "#4"; None for any other."""
    m = _ORDINAL.match(" ".join(text.lower().split()))
    if m is None:
        return None
    digits = m[1] or m[2]
    n = int(digits) if digits.isdecimal() else zh_number(digits)
    return n or None
