"""The onboarding interview: fills the profile, survives pauses and platform switches, refuses junk."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, update

from core.catalog.importer import read_file
from core.catalog.service import apply_catalog
from core.events import Actor, Button, Chat, Command, Message
from core.localtime import parse_timezone, timezone_in, zone_label
from core.profile.service import parse_minutes, profile_features, profile_text
from models.catalog import Tag
from models.member import Account, Member
from models.profile import Onboarding

DATA = Path(__file__).parents[2] / "data" / "catalog"


async def _catalog(db, clock) -> None:
    async with db.session() as s, s.begin():
        await apply_catalog(s, clock, read_file(DATA / "catalog.yaml"))


async def _member(db, user: str) -> Member:
    async with db.session() as s:
        return (
            await s.execute(
                select(Member).join(Account).where(Account.platform_user_id == user).limit(1)
            )
        ).scalar_one()


async def _state(db, member_id: int) -> Onboarding:
    async with db.session() as s:
        return (
            await s.execute(select(Onboarding).where(Onboarding.member_id == member_id))
        ).scalar_one()


async def test_interview_fills_the_profile_and_switches_language(console_bot, db, clock):
    await _catalog(db, clock)
    out = await console_bot.send("/start", as_member="nina")
    assert "A few quick questions" in out and "(1/8) What do you want to achieve" in out
    out = await console_bot.send("hello!")  # small talk is not a goal (it used to be saved)
    assert "what do you want to achieve here?" in out and "(2/8)" not in out
    out = await console_bot.send("I want to become a data analyst who writes fast SQL")
    # topics by their catalogue titles ("databases" has none: its slug)
    assert "(2/8) Which topics" in out and "[1] databases  [2] Python  [3] SQL" in out
    out = await console_bot.send("/press 3")
    assert "[3] ✓ SQL" in out
    await console_bot.send("/press 1")
    await console_bot.send("/press 1")  # untick databases again
    out = await console_bot.send("/press 4")  # Done
    assert "(3/8) What is your level?" in out
    out = await console_bot.send("/press 2")
    assert "(4/8)" in out
    await console_bot.send("2h")
    out = await console_bot.send("UTC+8")
    assert "(6/8) Which language" in out
    out = await console_bot.send("/press 2")  # 中文: the next question is in Chinese
    assert "（7/8）你希望多久收到一次推荐摘要" in out
    await console_bot.send("每天")
    out = await console_bot.send("是")
    assert "你的资料已完成" in out and "学习伙伴：是" in out and "兴趣：SQL" in out
    # the answers put to use at once: suggestions with their reasons, a tap to each
    assert "为你推荐：\n1. SQL 入门 —— 符合你的目标“I want to become" in out
    m = await _member(db, "nina")
    assert (m.goals, m.tags, m.level, m.weekly_minutes, m.timezone, m.locale) == (
        "I want to become a data analyst who writes fast SQL",
        ["sql"],
        "intermediate",
        120,
        "Etc/GMT-8",
        "zh-CN",
    )
    assert (m.digest_frequency, m.peer_opt_in) == ("daily", True)
    assert "时区：UTC+8" in out  # as she typed it, not "Etc/GMT-8"
    assert (await _state(db, m.id)).status == "done"
    # no second interview: where she stands instead (before: only "welcome")
    home = await console_bot.send("/start")
    assert home.startswith("欢迎回到") and "还没有会员：/plans" in home and "免费试用" in home
    assert profile_text(m).startswith("I want to become") and "sql" in profile_text(m)
    assert profile_features(m) == {"tag:sql": 1.0, "level:intermediate": 1.0, "weekly:mid": 1.0}


async def test_topics_are_read_and_typed_by_their_names_in_each_language(console_bot, db, clock):
    """Before, members read and had to type slugs ("machine-learning") in either language."""
    await _catalog(db, clock)
    async with db.session() as s, s.begin():
        s.add(Tag(slug="machine-learning", title="Machine learning", title_zh="机器学习"))
    out = await console_bot.send("/profile interests machine learning, SQL", as_member="lin")
    assert "• Interests: Machine learning, SQL" in out
    assert (await _member(db, "lin")).tags == ["machine-learning", "sql"]
    await console_bot.send("/language zh")
    assert "• 兴趣：机器学习、SQL" in await console_bot.send("/profile")
    assert "[intro-sql] — 入门 · SQL、databases" in await console_bot.send("/courses")
    assert "主题：SQL、databases" in await console_bot.send("/press 1")  # its details
    # a topic's name finds its courses, in either language
    async with db.session() as s, s.begin():  # the tag the catalogue created, now named
        await s.execute(update(Tag).where(Tag.slug == "databases").values(title_zh="数据库"))
    found = await console_bot.send("/courses 数据库")
    assert "[intro-sql]" in found and "[deep-python]" not in found
    out = await console_bot.send("/profile interests 机器学习，python")
    assert "• 兴趣：机器学习、Python" in out
    out = await console_bot.send("/profile interests 烹饪")
    assert "烹饪" in out and "机器学习" in out and "machine-learning" not in out
    assert (await _member(db, "lin")).tags == ["machine-learning", "python"]


async def test_interview_resumes_later_and_on_the_other_platform(app, db, clock):
    def ev(platform: str, kind: type, **kw):
        return kind(Actor(platform, "77", "Quinn"), Chat(platform, "77"), **kw)

    out = await app.router.dispatch(ev("telegram", Command, name="start"))
    assert "What do you want to achieve" in out[-1].text
    await app.router.dispatch(ev("telegram", Message, text="Learn statistics for A/B tests"))
    member = await _member(db, "77")
    async with db.session() as s, s.begin():  # the same person links their Discord account
        s.add(
            Account(
                member_id=member.id,
                platform="discord",
                platform_user_id="77",
                created_at=clock.now(),
            )
        )
    out = await app.router.dispatch(ev("discord", Command, name="start"))
    assert "Welcome back" in out[0].text and "Which topics" in out[1].text
    skip = out[1].buttons[-1][0]  # ⏭ Skip on Discord
    out = await app.router.dispatch(ev("discord", Button, data=skip.data))
    assert "What is your level?" in out[0].text
    level_question = out[0]
    out = await app.router.dispatch(ev("telegram", Message, text="advanced"))
    assert "How much time" in out[0].text
    state = await _state(db, member.id)
    assert state.step == "weekly" and state.answers["goals"] == "Learn statistics for A/B tests"
    assert (await _member(db, "77")).level == "advanced"
    # an old button from the level question no longer answers anything
    stale = await app.router.dispatch(ev("discord", Button, data=level_question.buttons[0][0].data))
    assert "no longer open" in stale[0].text


async def test_topics_typed_as_a_sentence_keep_the_taps_and_name_the_rest(console_bot, db, clock):
    """ "SQL, Python and statistics" was refused whole for "and" (and the taps were lost);
    a word that names no topic is now named under the saved answer, and the interview goes
    on. A typed topic may be one with no button; Chinese is read without spaces."""
    await _catalog(db, clock)
    async with db.session() as s, s.begin():
        s.add(Tag(slug="machine-learning", title="Machine learning", title_zh="机器学习"))
    await console_bot.send("/start", as_member="pia")
    await console_bot.send("I want to analyse sales data")
    out = await console_bot.send("/press 2")  # Python
    assert "[2] ✓ Python" in out
    out = await console_bot.send("I'm interested in SQL and machine learning, plus cobol")
    assert "Not a topic here: cobol" in out and "(3/8) What is your level?" in out
    assert (await _member(db, "pia")).tags == ["python", "sql", "machine-learning"]
    out = await console_bot.send("/profile topics remove python")
    assert "• Interests: SQL, Machine learning" in out
    out = await console_bot.send("/profile interests add databases")
    assert "• Interests: SQL, Machine learning, databases" in out and "Not a topic" not in out
    out = await console_bot.send("/profile interests 我想学SQL和机器学习")
    assert "• Interests: SQL, Machine learning\n" in out
    out = await console_bot.send("/profile interests and or the")  # nothing named: refused
    assert "Not a topic I know" in out
    assert (await _member(db, "pia")).tags == ["sql", "machine-learning"]


async def test_a_misspelt_topic_is_read_as_the_topic_it_means(console_bot, db, clock):
    """ "/profile interests add Statisticks" was refused ("Not a topic I know"), and
    "/courses pyhton" or "/recommend databse" found nothing: a word of five letters or more
    that is a near spelling of one topic (or two neighbouring letters swapped) is that
    topic, shown back by its name; a word near none, or short, is still named as unknown."""
    await _catalog(db, clock)
    out = await console_bot.send("/profile interests add Pyhton", as_member="rui")
    assert "• Interests: Python" in out and "Not a topic" not in out
    out = await console_bot.send("/profile interests add databse, cobol")
    assert "• Interests: Python, databases" in out and "Not a topic here: cobol" in out
    assert (await _member(db, "rui")).tags == ["python", "databases"]
    found = await console_bot.send("/courses pyhton")
    assert "“Python”" in found and "[deep-python]" in found and "[intro-sql]" not in found
    found = await console_bot.send("/recommend databse")
    assert "Intro to SQL" in found and "Deep Python" not in found
    assert "No course matches “sqk”" in await console_bot.send("/courses sqk")  # 3 letters
    # Chinese typed by sound: "数剧库" for 数据库 (databases)
    async with db.session() as s, s.begin():
        await s.execute(update(Tag).where(Tag.slug == "databases").values(title_zh="数据库"))
    found = await console_bot.send("/courses 数剧库")
    assert "“databases”" in found and "[intro-sql]" in found and "[deep-python]" not in found


async def test_short_names_and_sentences_are_read_in_the_interview(console_bot, db, clock):
    """ "python and stats" saved Python only ("Not a topic here: stats"), and "I live in
    London" was "I don't know the timezone": a topic's common short name ("stats", "ML")
    is that topic, and a sentence naming one place is that place's zone."""
    await _catalog(db, clock)
    async with db.session() as s, s.begin():
        s.add(Tag(slug="statistics", title="Statistics", title_zh="统计"))
    await console_bot.send("/start", as_member="tom")
    await console_bot.send("Become a data scientist")
    out = await console_bot.send("python and stats")
    assert "Not a topic" not in out and "What is your level?" in out
    assert (await _member(db, "tom")).tags == ["python", "statistics"]
    await console_bot.send("I'm an intermediate")
    await console_bot.send("about 5 hours a week")
    out = await console_bot.send("I live in London")
    assert "Which language" in out and "don't know the timezone" not in out
    assert (await _member(db, "tom")).timezone == "Europe/London"
    found = await console_bot.send("/courses db")  # the topic "databases" (no course says db)
    assert "[intro-sql]" in found and "[deep-python]" not in found
    sentences = {
        "I live in New Jersey": "America/New_York",
        "my time zone is Tokyo": "Asia/Tokyo",
        "我住在上海": "Asia/Shanghai",
        "北京时间": "Asia/Shanghai",
        "Paris or London": None,  # two places: asked again
        "English please": None,
    }
    assert {text: timezone_in(text) for text in sentences} == sentences
    assert parse_timezone("Berlin AMA") is None  # a command's words after a place: not it


async def test_bad_answers_are_explained_and_change_nothing(console_bot, db, clock):
    await console_bot.send("/start", as_member="otto")
    out = await console_bot.send("x" * 600)
    assert "That's 600 characters; please keep your goals under 500." in out
    out = await console_bot.send("ab")
    assert "at least 3 characters" in out
    m = await _member(db, "otto")
    assert m.goals == "" and (await _state(db, m.id)).step == "goals"
    await console_bot.send("Ship side projects")
    out = await console_bot.send("cobol, sql")
    assert "Not a topic I know: cobol" in out
    await console_bot.send("/press 1")  # ⏭ Skip (no catalogue: no topic buttons)
    out = await console_bot.send("wizard")
    assert "beginner, intermediate or advanced" in out
    await console_bot.send("beginner")
    for junk in ("lots", "0", "99999 min"):
        out = await console_bot.send(junk)
        assert "per week" in out, junk
    await console_bot.send("45 min")
    out = await console_bot.send("Mars/Olympus_Mons")
    assert "I don't know the timezone “Mars/Olympus_Mons”" in out
    m = await _member(db, "otto")
    assert (m.goals, m.tags, m.level, m.weekly_minutes, m.timezone) == (
        "Ship side projects",
        [],
        "beginner",
        45,
        "UTC",
    )


async def test_later_pauses_and_profile_setup_resumes(console_bot, db):
    await console_bot.send("/start", as_member="pia")
    await console_bot.send("Get better at Python")
    out = await console_bot.send("/press 2")  # ⏸ Later (tags step, no topics)
    assert "Paused" in out
    out = await console_bot.send("/start")
    assert "Welcome to" in out and "Which topics" not in out  # not nagged again
    assert "[1] ▶ Continue your profile (2/8)" in out  # but one tap away
    assert "topics" not in await console_bot.send("some chatter")  # no longer captured
    await console_bot.send("/start")
    out = await console_bot.send("/press 1")
    assert "continue your profile" in out and "Which topics" in out
    assert "Paused" in await console_bot.send("/press 2")  # ⏸ Later again
    out = await console_bot.send("/profile setup")
    assert "continue your profile" in out and "Which topics" in out


async def test_profile_shows_and_edits_single_fields(console_bot, db):
    out = await console_bot.send("/profile", as_member="rosa")
    assert "Your profile:" in out and "• Weekly time: —" in out
    out = await console_bot.send("/profile weekly 3h")
    assert "Saved." in out and "• Weekly time: 3 hours" in out  # was "180 min"
    assert "• Weekly time: 90 min" in await console_bot.send("/profile weekly 90")
    await console_bot.send("/profile weekly 3h")
    # levels in a member's own words ("expert" was refused)
    for typed, level in (("expert", "advanced"), ("新手", "beginner"), ("medium", "intermediate")):
        assert f"• Level: {level}" in await console_bot.send(f"/profile level {typed}")
    assert "beginner, intermediate or advanced" in await console_bot.send("/profile level 42")
    out = await console_bot.send("/profile timezone Atlantis/Lost")
    assert "I don't know the timezone" in out
    out = await console_bot.send("/profile partner")
    assert "study partner" in out
    out = await console_bot.send("/press 1")  # yes
    assert "Saved." in out and "• Study partner: yes" in out
    m = await _member(db, "rosa")
    assert (m.weekly_minutes, m.timezone, m.peer_opt_in) == (180, "UTC", True)
    assert "Usage: /profile" in await console_bot.send("/profile shoesize 42")
    # the field by the command's name (/peers) was the usage text
    assert "• Study partner: no" in await console_bot.send("/profile peers no")


async def test_a_member_chooses_the_name_they_are_shown_by(console_bot, db):
    """The platform's name was taken at the first message and kept for good: a member who
    renamed their account, or wanted another name in threads and on the leaderboard, had
    no way to change it ("how do I change my name?" opened a thread)."""
    out = await console_bot.send("/profile", as_member="rosa")
    assert "• Name: Rosa" in out
    out = await console_bot.send("/profile name  Rosa   M.")
    assert "you are shown as Rosa M. from now on" in out and "• Name: Rosa M." in out
    assert (await _member(db, "rosa")).display_name == "Rosa M."
    # moderators find and see the member by it
    assert "Rosa M." in await console_bot.send("/member Rosa M.", as_member="mod")
    await console_bot.send("/profile", as_member="rosa")
    refused = {
        "/profile name": "Send /profile name followed by the name",
        "/profile name #1": "cannot start with @ or #",
        "/profile name @mod": "cannot start with @ or #",
        "/profile name 12345": "cannot start with @ or #",
        "/profile name join t.me/spamchannel": "cannot hold a link",
        "/profile name " + "x" * 65: "64 characters at most",
    }
    for typed, said in refused.items():
        assert said in await console_bot.send(typed), typed
    assert (await _member(db, "rosa")).display_name == "Rosa M."  # none of them changed it
    out = await console_bot.send("/profile 昵称 小罗")
    assert "• Name: 小罗" in out


async def test_a_member_can_stop_and_resume_invitations_to_answer(console_bot, db):
    """Expert routing skips members who opted out; /profile is where they do it (the
    interview does not ask newcomers: invitations are on until a member says no)."""
    out = await console_bot.send("/profile", as_member="omar")
    assert "• Invitations to answer: yes" in out
    out = await console_bot.send("/profile experts no")
    assert "Saved." in out and "• Invitations to answer: no" in out
    assert (await _member(db, "omar")).expert_opt_out is True
    assert "yes or no" in await console_bot.send("/profile experts sometimes")
    assert (await _member(db, "omar")).expert_opt_out is True  # nothing lost
    out = await console_bot.send("/profile")
    buttons = out.splitlines()[-1]
    n = buttons.split("Invitations to answer")[0].rsplit("[", 1)[1].split("]")[0]
    assert "quiet hours" in await console_bot.send(f"/press {n}")  # the question explains
    out = await console_bot.send("/press 1")  # yes
    assert "• Invitations to answer: yes" in out
    assert (await _member(db, "omar")).expert_opt_out is False
    # The interview itself still has its eight questions.
    assert "(1/8)" in await console_bot.send("/profile setup")


def test_duration_and_timezone_parsing():
    assert [parse_minutes(x) for x in ("90", "90 min", "2h", "1.5 hours", "2小时", "lots")] == [
        90,
        90,
        120,
        90,
        120,
        None,
    ]
    # as members write a weekly time (before, each of these was "please give a weekly time")
    said = {
        "每周3小时": 180,
        "三个小时": 180,
        "一个半小时": 90,
        "3 hours a week": 180,
        "3h/week": 180,
        "about 4 hours per week": 240,
        "2-3 hours": 150,
        "1h30": 90,
        "2小时30分钟": 150,
        "3": 180,
        "45": 45,
        "h": None,
        # hedged, or a range with "or" (both were "Please give a time per week like 90")
        "dunno, maybe 3-4 hours": 210,
        "3 or 4 hours a week": 210,
        "大概每周3到4小时": 210,
        "maybe": None,
    }
    assert {typed: parse_minutes(typed) for typed in said} == said
    assert parse_timezone("asia/shanghai") == "Asia/Shanghai"
    assert parse_timezone("UTC-5") == "Etc/GMT+5" and parse_timezone("+0") == "UTC"
    assert parse_timezone("UTC+15") is None and parse_timezone("../../etc/passwd") is None
    # shown as typed: the stored Etc/GMT-8 read as the opposite of "UTC+8"
    assert zone_label(parse_timezone("GMT+8")) == "UTC+8"
    assert zone_label(parse_timezone("UTC-5")) == "UTC-5"
    assert zone_label("Asia/Shanghai") == "Asia/Shanghai" and zone_label(None) == "UTC"
    # a city alone, as members type it, and names the tz database lacks
    assert parse_timezone("berlin") == "Europe/Berlin"
    assert parse_timezone("New  York") == "America/New_York"
    assert parse_timezone("Beijing") == parse_timezone("北京") == "Asia/Shanghai"
    assert parse_timezone("Mars") is None


async def test_the_level_is_read_from_a_sentence_as_members_answer(console_bot, db, clock):
    """ "中级吧" ("intermediate, I guess") or "I'm a complete beginner" were refused until
    the member typed the level word alone; the one level an answer names is taken, and an
    answer naming two, or none, is still asked again."""
    from core.profile.service import level_in

    await _catalog(db, clock)
    await console_bot.send("/start", as_member="zhou")
    await console_bot.send("/press 1")  # skip the goals
    out = await console_bot.send("SQL")
    assert "What is your level?" in out
    out = await console_bot.send("入门到中级之间")
    assert "What is your level?" in out and "How much time" not in out
    out = await console_bot.send("中级吧")
    assert "How much time" in out
    assert (await _member(db, "zhou")).level == "intermediate"
    cases = {
        "I'm a complete beginner": "beginner",
        "pretty advanced, I think": "advanced",
        "我是零基础": "beginner",
        "有一定基础": "intermediate",
        "3": "advanced",
        "not sure": None,
        "beginner or intermediate": None,
    }
    assert {text: level_in(text) for text in cases} == cases


def test_yes_no_language_and_digest_as_members_type_them():
    """/profile shows "学习伙伴：不用了" ("no need"), yet typing "不用了" back, or "可以"
    ("sure"), or "ok!" was "Please answer yes or no"."""
    from core.profile.service import Refusal, parse_answer

    said = {t: parse_answer("peer", t, []) for t in ("不用了", "可以", "ok!", "nope", "Sure.")}
    assert said == {"不用了": False, "可以": True, "ok!": True, "nope": False, "Sure.": True}
    said = {t: parse_answer("peer", t, []) for t in ("yes please", "no thanks, not now")}
    assert said == {"yes please": True, "no thanks, not now": False}
    # the language and the digest inside a sentence, as the interview asks them
    answers = {
        ("language", "English please"): "en",
        ("language", "中文吧"): "zh-CN",
        ("digest", "every day"): "daily",
        ("digest", "weekly is fine"): "weekly",
        ("digest", "一周一次"): "weekly",
        ("digest", "no thanks"): "off",
    }
    assert {k: parse_answer(k[0], k[1], []) for k in answers} == answers
    assert parse_answer("peer", "我不要", []) is False and parse_answer("peer", "我愿意！", [])
    # a Chinese yes or no inside a sentence (was "请回答愿意或不用了")
    said = {
        t: parse_answer("peer", t, []) for t in ("我觉得可以吧", "我不太想", "不可以", "没问题呀")
    }
    assert said == {"我觉得可以吧": True, "我不太想": False, "不可以": False, "没问题呀": True}
    for step, text in (("digest", "5 days a week"), ("language", "either"), ("peer", "我觉得吧")):
        with pytest.raises(Refusal):
            parse_answer(step, text, [])
    with pytest.raises(Refusal):
        parse_answer("experts", "maybe", [])


def test_topics_typed_as_members_write_them():
    """Commas, "and", filler words, multi-word titles, Chinese without spaces."""
    from core.catalog.topics import Topics
    from core.profile.service import topics_typed

    names = Topics(
        {
            "sql": ("SQL", "SQL"),
            "python": ("Python", "Python"),
            "machine-learning": ("Machine learning", "机器学习"),
        }
    )
    offered = list(names.titles)
    for text, meant, unknown in (
        ("SQL, Python and machine learning", ["sql", "python", "machine-learning"], []),
        ("I’m mostly interested in machine learning", ["machine-learning"], []),
        ("python & cobol", ["python"], ["cobol"]),
        ("我想学SQL和机器学习", ["sql", "machine-learning"], []),
        ("烹饪", [], ["烹饪"]),
        ("Statisticks and machine lerning", ["machine-learning"], ["statisticks"]),
        ("ptyhon, pools", ["python"], ["pools"]),
        ("ML and stats", ["machine-learning"], ["stats"]),  # no Statistics topic here
    ):
        assert topics_typed(text, offered, names) == (meant, unknown), text


def test_a_chinese_topic_typed_with_a_homophone_slip_is_that_topic():
    """Chinese is typed by sound: "统记" (for 统计, statistics) or "机器学系" were "不是已知的
    主题". A run of characters that sounds like one topic's Chinese title is that topic."""
    from core.catalog.topics import Topics
    from core.profile.service import topics_typed

    names = Topics(
        {
            "statistics": ("Statistics", "统计"),
            "machine-learning": ("Machine learning", "机器学习"),
            "math": ("Math", "数学"),
            "data-analysis": ("Data analysis", "数据分析"),
        }
    )
    every = list(names.titles)
    assert names.sounds_in("我想学统记和机器学系", every) == ["statistics", "machine-learning"]
    assert names.sounds_in("数剧分析", every) == ["data-analysis"]
    assert names.sounds_in("我想学数据", every) == []  # 数据 is not 数学 (shu ju, shu xue)
    assert names.sounds_in("我喜欢画画", every) == [] and names.sounds_in("树", every) == []
    assert topics_typed("统记, 机器学系", every, names) == (["statistics", "machine-learning"], [])
    assert topics_typed("统计和数学", every, names) == (["statistics", "math"], [])


async def test_profile_fields_by_the_chinese_labels_it_shows(console_bot, db, clock):
    """/profile shows "• 时区：UTC"; "/profile 时区 上海" was the usage text."""
    await _catalog(db, clock)
    await console_bot.send("/language zh", as_member="lin")
    assert "• 时区：Asia/Shanghai" in await console_bot.send("/profile 时区 上海")
    assert "• 水平：中级" in await console_bot.send("/profile 水平 中级")
    assert "• 每周时间：2 小时" in await console_bot.send("/profile 每周时间 2小时")
    assert "（1/8）" in await console_bot.send("/profile 重新填写")  # /profile setup
    m = await _member(db, "lin")
    assert (m.timezone, m.level, m.weekly_minutes) == ("Asia/Shanghai", "intermediate", 120)
