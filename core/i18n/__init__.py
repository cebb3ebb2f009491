"""Message catalogs (en, zh-CN): one TOML file per feature and locale, merged at load."""

from __future__ import annotations

import re
import string
import tomllib
from collections.abc import Collection
from functools import lru_cache
from pathlib import Path
from typing import Any

CATALOGS = Path(__file__).with_name("catalogs")
LOCALES = ("en", "zh-CN")
LANGUAGE_NAMES = {"en": "English", "zh-CN": "中文"}  # each language in its own words
LANGUAGE_WORDS = {  # what members type for a language (/language, /profile language)
    "en": "en",
    "english": "en",
    "英文": "en",
    "英语": "en",
    "zh": "zh-CN",
    "zh-cn": "zh-CN",
    "cn": "zh-CN",
    "chinese": "zh-CN",
    "中文": "zh-CN",
    "简体中文": "zh-CN",
}
DEFAULT_LOCALE = "en"


def _flatten(prefix: str, data: dict[str, Any], out: dict[str, str]) -> None:
    for k, v in data.items():
        key = f"{prefix}.{k}" if prefix else k
        if isinstance(v, dict):
            _flatten(key, v, out)
        else:
            out[key] = str(v)


@lru_cache(maxsize=8)
def catalog(locale: str) -> dict[str, str]:
    out: dict[str, str] = {}
    folder = CATALOGS / locale
    for path in sorted(folder.glob("*.toml")):
        with path.open("rb") as fh:
            _flatten("", tomllib.load(fh), out)
    return out


def normalize_locale(hint: str | None) -> str:
    if not hint:
        return DEFAULT_LOCALE
    h = hint.lower().replace("_", "-")
    if h.startswith("zh"):
        return "zh-CN"
    return "en"


def reads_language(locale: str | None, lang: str | None, answered_in: Collection[str] = ()) -> bool:
    """Whether a member can be asked to answer a question written in ``lang`` (``en`` /
    ``zh``, None when unknown): it is their language, or they have answered in it before.
    Expert invitations rank the others last; digests do not suggest them such questions."""
    return not lang or normalize_locale(locale).split("-")[0] == lang or lang in answered_in


# `{n|lesson|lessons}` is the word for the count `n` (a form may hold `{n}` itself):
# English needs it, Chinese does not.
_FORM = r"((?:[^{}|]|\{\w+\})*)"  # a form may hold placeholders of its own
_PLURAL = re.compile(r"\{(\w+)\|" + _FORM + r"\|" + _FORM + r"\}")


def _plurals(text: str, params: dict[str, Any]) -> str:
    def pick(m: re.Match[str]) -> str:
        value = params.get(m.group(1))
        if value is None:
            return m.group(3)
        try:
            return m.group(2) if abs(float(value)) == 1 else m.group(3)
        except (TypeError, ValueError):
            return m.group(3)

    return _PLURAL.sub(pick, text)


def placeholders(text: str) -> set[str]:
    names = {m[0] for m in _PLURAL.findall(text)}
    plain = _PLURAL.sub(lambda m: m.group(2) + m.group(3), text)
    return names | {f for _, f, _, _ in string.Formatter().parse(plain) if f}


class _SafeDict(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


# Chinese templates put a space around a value for Latin words ("学习 SQL 的成员"); a Chinese
# value sits right against Chinese text ("学习数学的成员", not "学习 数学 的成员").
_HAN = "\u3400-\u4dbf\u4e00-\u9fff"
_HAN_TEXT = re.compile(f"[{_HAN}\u3000-\u303f\uff00-\uffef]")
_HAN_EDGE = re.compile(f"[{_HAN}《》「」“”]")
_SPACED = re.compile(r"( ?)\{(\w+)\}( ?)")


def _close_han_spaces(text: str, params: dict[str, Any]) -> str:
    def tighten(m: re.Match[str]) -> str:
        value = str(params.get(m.group(2), ""))
        if not value:
            return m.group(0)
        before, after = text[m.start() - 1 : m.start()], text[m.end() : m.end() + 1]
        pre = "" if before and _HAN_TEXT.match(before) and _HAN_EDGE.match(value[0]) else m[1]
        post = "" if after and _HAN_TEXT.match(after) and _HAN_EDGE.match(value[-1]) else m[3]
        return pre + "{" + m.group(2) + "}" + post

    return _SPACED.sub(tighten, text)


def translate(locale: str | None, key: str, /, **params: Any) -> str:
    """Text for `key` in `locale`, falling back to English, then to the key itself."""
    loc = normalize_locale(locale)
    text = catalog(loc).get(key) or catalog(DEFAULT_LOCALE).get(key) or key
    if loc == "zh-CN" and params:
        text = _close_han_spaces(text, params)
    try:
        return _plurals(text, params).format_map(_SafeDict(params))
    except (ValueError, IndexError):
        return text


_CLOSES_ZH = tuple("。！？）」”：")
_OPENS_ZH = tuple("（「“")


def sentences(*parts: str) -> str:
    """Sentences one after the other: a space between English ones, none after a Chinese
    full stop ("已开通套餐。 现在有效期至…" read as a typo)."""
    out = ""
    for part in filter(None, parts):
        gap = out and not (out.endswith(_CLOSES_ZH) or part.startswith(_OPENS_ZH))
        out += (" " if gap else "") + part
    return out


def has_key(key: str) -> bool:
    return key in catalog(DEFAULT_LOCALE)
