"""A question's whole life in the console backend, as a demo user types it: the thread it
opens can be posted in (`/in N`), solved there, bumped when quiet, and what it taught the
knowledge base answers the next member."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

QUESTION = "/ask How do I connect my Raspberry Pi to the lab oscilloscope?"


async def _open_thread(bot: Any) -> str:
    out = await bot.send(QUESTION, as_member="erin")
    m = re.search(r"new thread #(\d+)", out)
    assert m, out
    assert f"/in {m.group(1)} TEXT" in out  # the reply says how to take part
    return m.group(1)


async def test_thread_is_answered_and_solved_from_the_console(qa_app, console_bot):
    n = await _open_thread(console_bot)
    told = await console_bot.send(f"/in {n} Use the USB-TMC driver and pyvisa.", as_member="gina")
    # The asker may not watch the thread: she is told, once per answerer.
    assert "📨 to @erin: 💬 Gina answered your question" in told and f"/solved {n}" in told
    more = await console_bot.send(
        f"/in {n} Also: pyvisa needs the scope in USB-TMC mode.", as_member="gina"
    )
    assert "📨" not in more
    refused = await console_bot.send(f"/in {n} /solved", as_member="gina")
    assert "Only the person who asked" in refused
    solved = await console_bot.send(f"/in {n} /solved", as_member="erin")
    assert f"Question #{n} is solved" in solved
    again = await console_bot.send(
        "/ask connect a Raspberry Pi to a lab oscilloscope", as_member="hank"
    )
    assert "pyvisa" in again  # gina's answer, from the thread, at once


async def test_quiet_thread_is_bumped_inside_it(qa_app, console_bot):
    n = await _open_thread(console_bot)
    qa_app.services.clock.advance(timedelta(hours=49))
    out = await console_bot.send("/tick")
    assert f"🧵 in thread #{n}: This question has had no answer yet" in out


async def test_posting_in_a_thread_that_does_not_exist_says_so(qa_app, console_bot):
    assert "no discussion thread #999" in await console_bot.send("/in 999 hello", as_member="gina")
    assert "usage: /in N TEXT" in await console_bot.send("/in", as_member="gina")


async def test_kb_import_reads_a_local_file_in_the_console(qa_app, console_bot, tmp_path):
    faq = tmp_path / "campus.md"
    faq.write_text("## When does the library close?\nAt 22:00 on weekdays.\n", encoding="utf-8")
    out = await console_bot.send(f"/kb import < {faq}", as_member="mod")
    assert "1 added" in out
    assert "22:00" in await console_bot.send("/ask when does the library close?", as_member="eve")
    assert "no file" in await console_bot.send(f"/kb import < {tmp_path}/nope.csv", as_member="mod")
    # "<" means a file only for commands that take one: a question keeps its words.
    out = await console_bot.send("/ask is 3 < 5 true in Python comparisons?", as_member="eve")
    assert "no file" not in out


async def test_solved_lets_the_asker_pick_among_several_answerers(qa_app, console_bot):
    from core.events import Actor, Button, Chat

    n = await _open_thread(console_bot)
    await console_bot.send(f"/in {n} Use the USB-TMC driver and pyvisa.", as_member="gina")
    await console_bot.send(f"/in {n} With the VISA address from the scope menu.", as_member="gina")
    await console_bot.send(f"/in {n} Good luck!", as_member="hank")  # latest, and no answer
    out = await console_bot.send(f"/in {n} /solved", as_member="erin")
    assert f"Which answer solved question #{n}?" in out
    # one choice per answerer, their messages together, oldest first
    assert "1. Gina: Use the USB-TMC driver and pyvisa. With the VISA address" in out
    assert "2. Hank: Good luck!" in out
    pick_gina = console_bot.adapter.buttons["erin"][0].data
    # Someone else pressing the asker's button is refused, and nothing is solved.
    refused = await qa_app.router.dispatch(
        Button(Actor("console", "mallory"), Chat("console", "mallory"), "u-m", data=pick_gina)
    )
    assert "Only the person who asked" in refused[0].text
    assert f"Question #{n} is solved" in await console_bot.send("/press 1", as_member="erin")
    again = await console_bot.send(
        "/ask connect a Raspberry Pi to a lab oscilloscope", as_member="ivy"
    )
    assert "pyvisa" in again and "VISA address" in again and "Good luck" not in again


async def test_the_demo_community_s_course_material_is_in_the_knowledge_base(app):
    from sqlalchemy import func, select

    from core.demo.seed import seed_demo
    from models.catalog import Course, Lesson
    from models.qa import KBEntry

    async with app.services.session_factory() as s, s.begin():
        await seed_demo(s, app.services.clock)
    async with app.services.session_factory() as s:
        courses = (await s.execute(select(func.count()).select_from(Course))).scalar_one()
        lessons = (await s.execute(select(func.count()).select_from(Lesson))).scalar_one()
        rows = (await s.execute(select(KBEntry).where(KBEntry.active.is_(True)))).scalars().all()
    by_source: dict[str, int] = {}
    for e in rows:
        by_source[e.source] = by_source.get(e.source, 0) + 1
    assert by_source["lesson"] >= lessons and by_source["course"] >= courses
    sql = next(e for e in rows if e.source == "lesson" and e.title.endswith("· Intro to SQL"))
    assert sql.url.startswith("https://learn.example.org/intro-sql/lessons/")  # the lesson link
    assert "sql" in sql.tags


async def _demo(app: Any, qa_encoders: Any) -> None:
    from core.demo.seed import seed_demo
    from core.qa import service

    app.services.extras[service.STATE_KEY] = service.QAState(qa_encoders)
    async with app.services.session_factory() as s, s.begin():
        await seed_demo(s, app.services.clock)


async def test_a_demo_member_s_question_is_answered_from_a_lesson(app, qa_encoders, console_bot):
    """The demo's lessons teach something (config/demo/lessons.yaml), so a how-to question
    gets the lesson passage that answers it, named by lesson and course, with its source."""
    await _demo(app, qa_encoders)
    out = await console_bot.send("/ask how can a python function return two values?", "alice")
    assert "Functions · Python Basics" in out
    assert "return total, count" in out and "📄 Source" in out
    assert "new thread" not in out


async def test_a_thread_is_tagged_only_with_topics_the_community_shares(
    app, qa_encoders, console_bot
):
    """An unanswered SQL question is tagged #sql; a question about something the community
    has no material on is not tagged with whatever happened to be nearest."""
    await _demo(app, qa_encoders)
    sql = await console_bot.send("/ask How do I find customers who have no orders?", "alice")
    assert re.search(r"new thread #\d+: .* #sql", sql), sql
    off = await console_bot.send("/ask Where can I get the best pizza in Rome?", "alice")
    assert re.search(
        r"new thread #\d+: Where can I get the best pizza in Rome\? #question$", off, re.M
    ), off
    zh = await console_bot.send("/ask 罗马哪里的披萨最好吃？", "xiaoming")
    assert re.search(r"new thread #\d+: 罗马哪里的披萨最好吃？ #question$", zh, re.M), zh
    # the demo's moderator has met the bot, so a question on no topic reaches them (no one
    # was invited: the console's `mod` existed only once `/as mod` was typed)
    assert "↳ invited @mod" in off
    assert "↳ invited @owner" in zh  # the staff member with fewer open invitations
