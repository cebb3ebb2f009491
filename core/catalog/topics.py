"""Topics (catalogue tags) as members read and type them: the tag's title in their language.

A tag is stored and matched by its slug (``machine-learning``); a member sees "Machine
learning" or "机器学习" (the titles of `catalog_tag`, kept by `/course` imports), and may type
either title or the slug. A tag with no title reads as its slug.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.i18n import normalize_locale
from core.qa.tokenize import cjk_chars
from models.catalog import Tag

TOPIC_PARAMS = frozenset({"topic", "tag"})
"""Message parameters that hold a topic's slug (explanations, digest reasons)."""

PROPER_NAMES = frozenset(
    {
        *("python", "java", "javascript", "typescript", "rust", "go", "kotlin", "swift", "ruby"),
        *("scala", "julia", "r", "linux", "unix", "windows", "docker", "kubernetes", "git"),
        *("github", "excel", "tableau", "spark", "hadoop", "kafka", "airflow", "django"),
        *("flask", "react", "pytorch", "tensorflow", "postgres", "postgresql", "mysql"),
        *("mongodb", "redis", "aws", "azure", "bayesian", "markov", "fourier", "qiskit"),
    }
)
"""Names that keep their capital inside a sentence ("members learning Python"): a plain word
such as "Statistics" is lowered, a name cannot be told from it by its shape."""


SHORT_NAMES = {
    **dict.fromkeys(("stats", "stat", "statistic"), "statistics"),
    **dict.fromkeys(("ml",), "machine learning"),
    **dict.fromkeys(("dl",), "deep learning"),
    **dict.fromkeys(("db", "dbs", "database"), "databases"),
    **dict.fromkeys(("viz", "dataviz", "data viz", "data visualization"), "visualization"),
    **dict.fromkeys(("recsys", "recommenders", "recommendation"), "recommender systems"),
    **dict.fromkeys(("data eng",), "data engineering"),
    **dict.fromkeys(("maths",), "math"),
    **dict.fromkeys(("coding",), "programming"),
}
"""Short names members type for common topic titles: a tag whose English title is the
full name is meant (a catalogue without such a title is unaffected)."""

NEAR_MIN, NEAR_CUTOFF = 5, 0.85
"""A typed word is read as a topic it misspells only from 5 letters and 85 % alike: "statisticks"
is Statistics, "pools" is not Tools."""


@dataclass(frozen=True)
class Topics:
    titles: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # slug: (en, zh)

    def name(self, slug: str, locale: str | None) -> str:
        en, zh = self.titles.get(slug, ("", ""))
        if zh and normalize_locale(locale) == "zh-CN":
            return zh
        return en or slug

    def in_sentence(self, slug: str, locale: str | None) -> str:
        """The name inside an English sentence: "learning statistics", not "learning
        Statistics"; a name whose first word has other capitals ("SQL", "DevOps") or is a
        proper name ("Python", `PROPER_NAMES`) stays."""
        name = self.name(slug, locale)
        first = name.split(" ", 1)[0]
        plain = first[:1].isupper() and first[1:].islower() and first.lower() not in PROPER_NAMES
        if normalize_locale(locale) == "en" and plain:
            return name[:1].lower() + name[1:]
        return name

    def names(self, slugs: Iterable[str], locale: str | None) -> str:
        sep = "、" if normalize_locale(locale) == "zh-CN" else ", "
        return sep.join(self.name(s, locale) for s in slugs)

    def named(self, params: Mapping[str, Any], locale: str | None) -> dict[str, Any]:
        """Message parameters with the topic slugs they carry (``topic``, ``tag``) as names."""
        return {
            k: self.in_sentence(v, locale) if k in TOPIC_PARAMS and isinstance(v, str) else v
            for k, v in params.items()
        }

    def all_names(self, slugs: Iterable[str]) -> str:
        """Every name of these topics, in every language: what a search looks through."""
        return " ".join(" ".join(filter(None, self.titles.get(s, ("", "")))) for s in slugs)

    def slug(self, typed: str) -> str | None:
        """The tag a member means by a slug or by either title, whatever the case, or by a
        common short name of its English title ("stats", "ML", `SHORT_NAMES`)."""
        word = " ".join(typed.split()).casefold()
        full = SHORT_NAMES.get(word)
        for slug, (en, zh) in self.titles.items():
            if word in (slug.casefold(), en.casefold(), zh.casefold()) and word:
                return slug
        for slug, (en, _) in self.titles.items():
            if full is not None and (en or slug.replace("-", " ")).casefold() == full:
                return slug
        return None

    def near(self, typed: str, among: Iterable[str]) -> str | None:
        """The one topic among ``among`` that a misspelt word means ("statisticks",
        "pyhton"): its slug or English title is a close spelling of a word of 5+ letters."""
        word = typed.casefold().strip(".,!?;:")
        if len(word) < NEAR_MIN or not word.isascii():
            return None
        names: dict[str, set[str]] = {}
        for slug in among:
            for name in (slug, self.titles.get(slug, ("", ""))[0]):
                if name:
                    names.setdefault(name.casefold(), set()).add(slug)
        close = difflib.get_close_matches(word, list(names), n=3, cutoff=NEAR_CUTOFF)
        close += [name for name in names if _swapped(word, name)]  # "pyhton"
        meant = {slug for name in close for slug in names[name]}
        return meant.pop() if len(meant) == 1 else None

    def found_in(self, text: str, among: Iterable[str]) -> list[str]:
        """The topics among ``among`` whose slug or title appears in ``text`` (Chinese is
        written without spaces: "我想学SQL和机器学习"), in the order they appear."""
        low = text.casefold()
        at: dict[str, int] = {}
        for slug in among:
            en, zh = self.titles.get(slug, ("", ""))
            spots = [low.find(n.casefold()) for n in (slug, en, zh) if len(n) >= 2]
            if hits := [i for i in spots if i >= 0]:
                at[slug] = min(hits)
        return sorted(at, key=at.__getitem__)

    def sounds_in(self, text: str, among: Iterable[str]) -> list[str]:
        """The topics among ``among`` whose Chinese title is in ``text`` as a typing
        method's slip: other characters of the same sound, picked from the candidates the
        keyboard offered ("统记" for 统计, "机器学系" for 机器学习), in the order they appear."""
        chars = cjk_chars(text)
        if len(chars) < 2:
            return []
        from pypinyin import Style, lazy_pinyin, pinyin  # 0.2 s of dictionaries: when needed

        sounds = [set(s) for s in pinyin(chars, style=Style.NORMAL, heteronym=True)]
        at: dict[str, int] = {}
        for slug in among:
            zh = self.titles.get(slug, ("", ""))[1]
            if len(zh) < 2 or len(cjk_chars(zh)) != len(zh):
                continue
            said = lazy_pinyin(zh)
            for i in range(len(chars) - len(zh) + 1):
                if all(s in sounds[i + j] for j, s in enumerate(said)):
                    at[slug] = i
                    break
        return sorted(at, key=at.__getitem__)


def _swapped(word: str, name: str) -> bool:
    """``word`` is ``name`` with two neighbouring letters typed the other way round."""
    if len(word) != len(name) or word == name:
        return False
    diff = [i for i, (a, b) in enumerate(zip(word, name, strict=True)) if a != b]
    return (
        len(diff) == 2
        and diff[1] == diff[0] + 1
        and word[diff[0]] == name[diff[1]]
        and (word[diff[1]] == name[diff[0]])
    )


async def load(session: AsyncSession) -> Topics:
    rows = await session.execute(select(Tag.slug, Tag.title, Tag.title_zh))
    return Topics({slug: (title or "", zh or "") for slug, title, zh in rows})
