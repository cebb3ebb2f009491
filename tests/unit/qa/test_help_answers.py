"""Questions about using the bot are answered from the first start, in both languages.

"How do I stop getting digests?" opened a community thread, and "how do I change my
language?" one tagged with programming topics that invited Python experts."""

from __future__ import annotations

import re
import uuid
from dataclasses import replace

from sqlalchemy import select

from core.events import Actor, Chat, Command
from core.qa import help_answers
from core.qa.startup import preload_knowledge_index
from core.replies import OpenThread, Reply
from core.router import COMMANDS
from models.member import Member
from models.qa import KBEntry


async def _replies(app, user: str, text: str, chat: Chat | None = None) -> list:
    """What `/ask TEXT` from ``user`` gets, in their private chat unless ``chat``."""
    return await app.router.dispatch(
        Command(
            Actor("console", user, display_name=user, username=user),
            chat or Chat("console", user, "private"),
            uuid.uuid4().hex,
            name="ask",
            args=text,
        )
    )


async def _ask(app, user: str, text: str) -> tuple[str, bool]:
    out = await _replies(app, user, text)
    said = "\n".join(r.text for r in out if isinstance(r, Reply))
    return said, any(isinstance(r, OpenThread) for r in out)


async def _kb(app, args: str) -> str:
    out = await app.router.dispatch(
        Command(
            Actor("console", "mod", display_name="Mod", username="mod"),
            Chat("console", "mod", "private"),
            uuid.uuid4().hex,
            name="kb",
            args=args,
        )
    )
    return "\n".join(r.text for r in out if isinstance(r, Reply))


async def _refs(app) -> list[tuple[str, bool]]:
    async with app.services.session_factory() as s:
        rows = await s.execute(
            select(KBEntry.source_ref, KBEntry.active)
            .where(KBEntry.source_ref.like("help:%"))
            .order_by(KBEntry.id)
        )
        return [tuple(r) for r in rows]


ANSWERED = [
    ("alice", "how do I stop getting digests?", "/digest off"),
    ("alice", "how do I change my language to Chinese?", "/language zh"),
    ("alice", "how can I find someone to study with?", "/peers on"),
    ("xiaoming", "怎么关掉摘要？", "发送 /digest off 关闭摘要"),
    ("alice", "which messages will the bot send me?", "Send /settings"),
    # stopping the renewal was a line inside the answer about when a plan ends
    ("alice", "how do I stop auto-renew?", "Send /cancel"),
    ("xiaoming", "我想取消自动续费", "发送 /cancel"),
    ("alice", "can I pause my membership?", "There is no pause"),
    ("alice", "how do I upgrade to the yearly plan?", "To switch or upgrade, /cancel"),
    ("alice", "how do I change my username?", "/profile name"),
    ("alice", "my membership expired, what now?", "Once a plan has ended, buy it again"),
    ("xiaoming", "我的会员到期了怎么办", "方案到期后，用 /subscribe"),
    ("alice", "do you have a discount?", "Discounts, when the community offers them"),
    ("alice", "can I buy seats for my team?", "/gift PLAN SEATS, e.g. /gift monthly 5"),
    ("xiaoming", "能给朋友买会员吗", "/gift 方案 席位数"),
    ("alice", "I got a gift code from a friend, where do I put it?", "Send /redeem CODE"),
    # a repeating reminder: /remind is once, the digest's schedule is the daily nudge
    ("alice", "can the bot remind me to study every day?", "/digest daily 8"),
    ("xiaoming", "能每天提醒我学习吗", "/digest daily 8"),
]


async def test_questions_about_the_bot_get_its_answer_not_a_thread(help_app):
    for user, question, answer in ANSWERED:
        said, thread = await _ask(help_app, user, question)
        helped = "Did this help?" in said or "这个回答有帮助吗" in said  # xiaoming writes Chinese
        assert answer in said and helped and not thread, question
    said, thread = await _ask(help_app, "alice", "what are my interests?")
    assert "/profile" in said and "Your profile:" in said and not thread
    said, thread = await _ask(help_app, "xiaoming", "怎么修改时区？")
    assert "/profile timezone" in said and not thread


async def test_an_answer_about_events_or_a_plan_shows_them_as_they_are_now(help_app, clock):
    """The answer about events could only say "send /events" to a member asking whether a
    live session is coming: the next events come under it, with their buttons; "how do I check
    my subscription?" shows the member's own plans, in a private chat only."""
    from datetime import timedelta

    from core.membership import service as membership
    from models.admin import CommunityEvent
    from models.member import Member

    now = clock.now()
    async with help_app.services.session_factory() as s, s.begin():
        s.add(
            CommunityEvent(
                title="SQL office hours", starts_at=now + timedelta(days=2), created_at=now
            )
        )
    out = await _replies(help_app, "ivy", "is there a live session soon?")
    assert not any(isinstance(r, OpenThread) for r in out)
    assert "/events" in out[0].text and "Did this help?" in out[0].text
    assert "SQL office hours" in out[1].text
    assert [b.label for row in out[1].buttons for b in row] == ["I'll come"]
    said, _ = await _ask(help_app, "ivy", "how do I check my subscription?")
    assert "Send /status" in said and "You have no membership yet" in said
    async with help_app.services.session_factory() as s, s.begin():
        ivy = (await s.execute(select(Member).where(Member.display_name == "ivy"))).scalar_one()
        await membership.grant(s, help_app.services, ivy, "monthly", 0, actor="system")
    said, _ = await _ask(help_app, "ivy", "how do I check my subscription?")
    assert "Your membership:\n• Monthly membership: active, ends on" in said
    group = await _replies(
        help_app, "ivy", "how do I check my subscription?", Chat("console", "g1", "group")
    )
    assert len(group) == 1 and "Monthly membership" not in group[0].text  # not for a group


async def test_an_answer_about_a_command_shows_what_it_shows_this_member(help_app):
    """ "How much is a membership?" was told to send /plans: the plans come under the
    answer, with their buttons; the digest answer shows the member's own schedule. In a
    private chat only."""
    out = await _replies(help_app, "ivy", "which plan should I buy?")
    assert "/plans" in out[0].text and "Did this help?" in out[0].text
    plans = "\n".join(r.text for r in out[1:] if isinstance(r, Reply))
    assert "Membership plans:" in plans and "Monthly membership" in plans
    labels = [b.label for r in out[1:] if isinstance(r, Reply) for row in r.buttons for b in row]
    assert "Try Monthly membership free for 7 days" in labels  # a tap away (no provider sells here)
    said, _ = await _ask(help_app, "ivy", "how do I change my digests?")
    assert "/digest off" in said and "Your digest" in said
    said, _ = await _ask(help_app, "xiaoming", "会员多少钱？")
    assert "/plans" in said and "月度会员" in said
    group = await _replies(
        help_app, "ivy", "how much is a membership?", Chat("console", "g", "group")
    )
    assert len(group) == 1 and "Membership plans:" not in group[0].text


async def test_a_removed_answer_stays_removed_and_a_new_one_still_arrives(help_app):
    refs = await _refs(help_app)
    assert len(refs) == len(help_answers.bundled()) and all(active for _, active in refs)
    async with help_app.services.session_factory() as s, s.begin():
        digest = (
            await s.execute(select(KBEntry).where(KBEntry.source_ref == "help:digest:en"))
        ).scalar_one()
        language = (
            await s.execute(select(KBEntry).where(KBEntry.source_ref == "help:language:en"))
        ).scalar_one()
        await s.delete(language)  # as if this answer came with a later release
    shown = await _kb(help_app, f"show {digest.id}")
    assert "A built-in answer about using the bot" in shown and f"/kb remove {digest.id}" in shown
    assert f"#{digest.id}" in await _kb(help_app, f"remove {digest.id}")
    await preload_knowledge_index(help_app.services)  # the next start
    refs = dict(await _refs(help_app))
    assert refs["help:digest:en"] is False  # the moderator's removal holds
    assert refs["help:language:en"] is True  # the missing one was added again
    said, _ = await _ask(help_app, "alice", "how do I stop getting digests?")
    assert "Send /digest off to stop digests" not in said


async def test_two_processes_starting_at_once_leave_one_copy(help_app):
    async with help_app.services.session_factory() as s, s.begin():
        row = (
            await s.execute(select(KBEntry).where(KBEntry.source_ref == "help:redeem:en"))
        ).scalar_one()
        twin = KBEntry(
            **{c: getattr(row, c) for c in ("source", "source_ref", "title", "answer", "lang")},
            created_at=row.created_at,
            updated_at=row.updated_at,
        )
        s.add(twin)
    async with help_app.services.session_factory() as s, s.begin():
        assert await help_answers.ensure(s) == 0
    refs = [active for ref, active in await _refs(help_app) if ref == "help:redeem:en"]
    assert refs == [True, False]


async def test_a_later_release_rewrites_an_answer_unless_a_moderator_changed_it(
    help_app, monkeypatch
):
    """A built-in answer rewritten by a release stayed as the first release wrote it in
    every community that started before. The new text replaces an earlier release's text
    at the next start; an answer a moderator edited, or removed, is left as it is."""
    items = help_answers.bundled()
    old = {it.id: it for it in items}
    new = [
        replace(it, answer=it.answer + " (Rewritten.)")
        if it.id in ("help:digest:en", "help:language:en")
        else it
        for it in items
    ]
    versions = help_answers.released()
    for it in new:
        now = help_answers.fingerprint(it.title, it.body, it.answer)
        versions[it.id] = [now, *[f for f in versions[it.id] if f != now]]
    async with help_app.services.session_factory() as s:
        language = (
            await s.execute(select(KBEntry).where(KBEntry.source_ref == "help:language:en"))
        ).scalar_one()
    edited = await _kb(help_app, f"edit {language.id} | Ask a moderator to switch it for you.")
    assert "Updated entry" in edited
    monkeypatch.setattr(help_answers, "bundled", lambda: new)
    monkeypatch.setattr(help_answers, "released", lambda: versions)
    async with help_app.services.session_factory() as s, s.begin():
        assert await help_answers.ensure(s) == 1  # the digest answer only
    said, _ = await _ask(help_app, "alice", "how do I stop getting digests?")
    assert "(Rewritten.)" in said
    async with help_app.services.session_factory() as s:
        rows = {
            r.source_ref: r.answer
            for r in (await s.execute(select(KBEntry))).scalars()
            if r.source_ref.startswith("help:")
        }
    assert rows["help:language:en"] == "Ask a moderator to switch it for you."
    assert rows["help:points:en"] == old["help:points:en"].answer  # unchanged: untouched
    async with help_app.services.session_factory() as s, s.begin():
        assert await help_answers.ensure(s) == 0  # the next start: nothing more to do


def test_the_shipped_texts_are_recorded_as_this_release():
    """A rewritten answer reaches communities only once its new text is recorded: run
    `python -m core.qa.help_answers` after editing data/help_answers.jsonl."""
    versions = help_answers.released()
    for it in help_answers.bundled():
        now = help_answers.fingerprint(it.title, it.body, it.answer)
        assert versions.get(it.id, [None])[0] == now, f"{it.id}: run python -m core.qa.help_answers"


def test_every_bundled_answer_has_both_languages_and_names_real_commands():
    import core.admin.commands  # noqa: F401  (registers every feature's commands)
    import core.qa.commands  # noqa: F401

    items = help_answers.bundled()
    keys = {it.id.rsplit(":", 1)[0] for it in items}
    assert {it.id for it in items} == {f"{k}:{lang}" for k in keys for lang in ("en", "zh")}
    named = {m for it in items for m in re.findall(r"(?<![\w/])/([a-z]+)\b", it.answer)}
    assert named and named <= set(COMMANDS), named - set(COMMANDS)


async def test_a_newcomer_who_writes_chinese_first_is_answered_in_chinese(help_app, db):
    """'你好，我想加入这个社区' as a first message was offered for the forum in English, and
    /start then asked every question in English: the platform gave no language."""
    said, opened = await _ask(help_app, "xiaohong", "你好，我想加入这个社区")
    assert "怎样加入、付款或开始免费试用" in said and "/plans" in said and not opened
    start = await help_app.router.dispatch(
        Command(Actor("console", "xiaohong"), Chat("console", "xiaohong"), name="start")
    )
    assert start[0].text.startswith("欢迎来到")
    said, _ = await _ask(help_app, "dana", "hello, I want to join")  # English stays English
    assert "How do I join, pay or start a free trial?" in said
    async with db.session() as s:
        locales = dict((await s.execute(select(Member.display_name, Member.locale))).all())
    assert locales["xiaohong"] == "zh-CN" and locales["dana"] == "en"
