"""A member saying what they want to learn gets the courses on it: "I want to learn SQL" or
"我想学SQL" was offered for the community's forum, though the catalogue answers it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.catalog.asked import topic_wanted
from core.catalog.importer import read_file
from core.catalog.service import apply_catalog
from models.qa import Question

CATALOG = Path(__file__).parents[2] / "data" / "catalog" / "catalog.yaml"


async def _questions(app) -> int:
    async with app.services.session_factory() as s:
        return int((await s.execute(select(func.count(Question.id)))).scalar_one())


async def test_wanting_to_learn_a_subject_lists_its_courses(qa_app, console_bot, db, clock):
    async with db.session() as s, s.begin():
        await apply_catalog(s, clock, read_file(CATALOG))
    out = await console_bot.send("I want to learn SQL", as_member="lena")
    assert out.startswith("Courses matching “sql” (1):") and "Intro to SQL [intro-sql]" in out
    assert "[1] 1" in out  # a tap for its card
    out = await console_bot.send("how do I get started with python?")
    assert "Deep Python [deep-python]" in out
    out = await console_bot.send("我想学SQL")
    assert "Intro to SQL" in out or "SQL 入门" in out
    assert await _questions(qa_app) == 0
    # a subject no course is on by its title or topics is asked as before
    out = await console_bot.send("I want to learn metaclasses")  # only in a description
    assert "Courses matching" not in out


@pytest.mark.parametrize(
    ("text", "subject"),
    [
        ("I want to learn machine learning", "machine learning"),
        ("我想学机器学习", "机器学习"),
        ("我对深度学习很感兴趣", "深度学习"),
        ("有没有关于Python的课程？", "python"),
        ("is there a course on docker?", "docker"),
        ("I want to learn SQL for data analysis", "sql data analysis"),
        ("what is machine learning?", None),
        # said in the last clause, with what for (held for the forum, the walk of 2026-12-07)
        (
            "I am a retired mechanical engineer, 71 years old, and I would like to learn pandas"
            " to analyse my weather station logs.",
            "pandas",
        ),
        ("hello. I would like to learn SQL for my job", "sql"),
        ("i want to learn how to make my code faster because my boss said so", None),
        ("I want to learn how to write a recursive CTE that walks a tree in PostgreSQL", None),
    ],
)
def test_what_a_member_wants_to_learn(text: str, subject: str | None) -> None:
    assert topic_wanted(text) == subject
