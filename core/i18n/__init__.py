"""Message catalogs (en, zh-CN): one TOML file per feature and locale, merged at load."""

from __future__ import annotations

import string
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

CATALOGS = Path(__file__).with_name("catalogs")
LOCALES = ("en", "zh-CN")
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


def placeholders(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


class _SafeDict(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def translate(locale: str | None, key: str, /, **params: Any) -> str:
    """Text for `key` in `locale`, falling back to English, then to the key itself."""
    loc = normalize_locale(locale)
    text = catalog(loc).get(key) or catalog(DEFAULT_LOCALE).get(key) or key
    try:
        return text.format_map(_SafeDict(params))
    except (ValueError, IndexError):
        return text


def has_key(key: str) -> bool:
    return key in catalog(DEFAULT_LOCALE)
