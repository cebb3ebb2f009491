"""Bad admin input gets a clear reply and changes nothing; confirmations re-check at press time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core.admin.args import MAX_DAYS, leading_length, parse_days
from core.errors import BadArguments
from models.member import Member

SKIP = ("inbound_update",)


@pytest.mark.parametrize(
    "raw", ["-5", "0", "abc", "", "99999", "1e3", "3661", "2 apples", "30 days please", "11 years"]
)
def test_parse_days_refuses_negative_zero_and_absurd(raw):
    with pytest.raises(BadArguments):
        parse_days(raw)


def test_parse_days_accepts_the_range():
    assert parse_days("1") == 1
    # a misspelt unit is the unit it is close to ("3 dayz" was "not a length I can use")
    assert [parse_days(t) for t in ("3 dayz", "2 weks", "1 mnth")] == [3, 14, 30]
    assert leading_length("3 dayz spamming links") == (3, "spamming links")
    # words of a request before the length: "extend alice by 2 weeks" was "not a length"
    assert [parse_days(t) for t in ("by 2 weeks", "another 10 days", "an extra 30 days")] == [
        14,
        10,
        30,
    ]
    # Chinese numbers, as moderators write them ("两周" was "not a length I can use")
    assert [parse_days(t) for t in ("两周", "三天", "十五天", "一个月", "二十天")] == [
        14,
        3,
        15,
        30,
        20,
    ]
    assert leading_length("三天 刷屏") == (3, "刷屏")
    with pytest.raises(BadArguments):
        parse_days("零天")
    assert parse_days(f"{MAX_DAYS} days") == MAX_DAYS
    # lengths as moderators write them ("2 weeks" used to grant 2 days)
    assert [parse_days(t) for t in ("30d", "2 weeks", "2w", "1 month", "1 year", "3周")] == [
        30,
        14,
        14,
        30,
        365,
        21,
    ]


async def test_bad_admin_input_is_explained_and_changes_nothing(bot, db, clock):
    async with db.session() as s, s.begin():
        for _ in range(2):  # two members called Sam: @sam is ambiguous
            s.add(Member(display_name="Sam", created_at=clock.now(), tags=[], prefs={}))
    before = await bot.counts(SKIP)
    cases = {
        "/member @nobody": "don't know a member called @nobody",
        "/member @sam": "More than one member matches @sam",
        # ids past PostgreSQL's INTEGER (and SQLite's 2**63) are "not found", not a crash
        "/member #9999999999": "don't know a member called #9999999999",
        "/member #99999999999999999999": "don't know a member",
        "/refund @alice 9999999999": "Usage: /refund",
        "/event cancel 99999999999999999999": "Usage: /event",
        "/event attended 9999999999 @alice": "Usage: /event",
        "/enroll #9999999999": "don't know a course called",
        "/extend @alice -5": "not a length I can use",
        "/extend @alice 99999": "not a length I can use",
        "/extend @alice": "Usage: /extend",  # the days are missing, not wrong
        "/extend": "Usage: /extend",
        # nothing to extend or revoke: said before the confirmation, not after it
        "/extend @alice 10": "Alice has no live membership to extend. To give them one, use /grant",
        "/revoke @alice": "Alice has no live membership",
        "/grant @alice platinum": "no plan called 'platinum'",
        "/broadcast lang=zh | Hello": "No member is in that segment",
        "/broadcast colour=red | Hello": "segment part 'colour=red'",
        "/broadcast all": "Usage: /broadcast",
        "/event new Party | 2020-01-01 10:00": "already passed",
        "/event new Party | tomorrow": "couldn't read the time",
        "/event new Party | 2026-04-01 10:00 | ftp://x": "must start with https://",
        "/event new Party | 2026-04-01 10:00 | https://x | -3": "Capacity must be",
        "/retention 3": "/retention DAYS (at least 30;",
        "/stats forever": "Usage: /stats",
        "/unban @alice": "is not banned",
        "/refund @alice": "no refundable payment",
        "/planedit monthly period_days -1": "Usage: /plans edit",
        "/planedit monthly price stripe 12.999 USD": "/plans edit monthly price stripe 12.00 USD",
        "/planedit monthly price telegram_stars 2.5 XTR": "Usage: /plans edit",  # Stars are whole
    }
    for line, expected in cases.items():
        text = await bot.text("mod", line)
        assert expected in text, (line, text)
    assert "Usage: /role" in await bot.text("owner", "/role @alice owner")
    # An owner-only command tells a moderator whose it is, not "moderators only".
    refused = await bot.text("mod", "/role @alice expert")
    assert "only the community's owner" in refused and "moderators only" not in refused
    assert "already has the role member" in await bot.text("owner", "/role @alice member")
    assert await bot.counts(SKIP) == before


async def test_a_misspelt_member_name_names_the_members_meant(bot, db):
    """ "/grant alise monthly" was "I don't know a member called alise": a moderator is
    shown the close spellings, to type back; a member asking about another is not."""
    out = await bot.text("mod", "/grant alise monthly")
    assert "I don't know a member called alise. Did you mean Alice (@alice, #" in out
    assert "Did you mean" in await bot.text("mod", "/member @ALICCE")
    assert "Did you mean" not in await bot.text("mod", "/member zzzzz")
    out = await bot.text("bob", "/points alise")
    assert "I don't know a member called alise." in out and "Did you mean" not in out


async def test_control_characters_are_dropped_not_stored(bot, db):
    assert "Event #1 created: Party on" in await bot.text(
        "mod", "/event new Pa\x00rty | 2026-04-01 10:00"
    )
    out = await bot.text("mod", "/broadcast all | He\x00llo")
    assert "\nHello\n" in out


async def test_confirmation_rechecks_role_author_and_expiry(bot, db, clock):
    # bob becomes a moderator through the database role (not the configured list)
    await bot.say("owner", "/role @bob moderator")
    await bot.confirm("owner")
    await bot.say("bob", "/ban @alice spam")
    data = bot.button("bob")
    # another moderator cannot press bob's button
    assert "expired" in (await bot.press("mod", data))[0].text
    # bob loses the role before pressing: the press is refused at press time
    await bot.say("owner", "/role @bob member")
    await bot.confirm("owner")
    assert "moderators only" in (await bot.press("bob", data))[0].text
    async with db.session() as s:
        alice = (await s.execute(select(Member).where(Member.display_name == "Alice"))).scalar_one()
    assert alice.role == "member"
    # an old confirmation expires
    await bot.say("mod", "/ban @alice spam")
    data = bot.button("mod")
    clock.advance(timedelta(hours=1))
    assert "expired" in (await bot.press("mod", data))[0].text
    # a forged button is refused
    assert "expired" in (await bot.press("mod", data[:-3] + "AAA"))[0].text
    async with db.session() as s:
        alice = (await s.execute(select(Member).where(Member.display_name == "Alice"))).scalar_one()
    assert alice.role == "member"


async def test_cancel_button_changes_nothing(bot, db):
    await bot.say("mod", "/ban @alice")
    out = await bot.press("mod", bot.button("mod", 1))
    assert "Cancelled" in out[0].text
    async with db.session() as s:
        alice = (await s.execute(select(Member).where(Member.display_name == "Alice"))).scalar_one()
    assert alice.role == "member"


def test_plan_prices_are_typed_as_people_write_them():
    from core.admin.member_commands import plan_fields

    def price(value: str) -> dict[str, object] | None:
        fields = plan_fields("price", value)
        return None if fields is None else fields["prices"]  # type: ignore[return-value]

    assert price("stripe 12.00 usd") == {"stripe": {"amount": 1200, "currency": "USD"}}
    assert price("stripe 12 USD") == {"stripe": {"amount": 1200, "currency": "USD"}}
    assert price("stripe 9.5 EUR") == {"stripe": {"amount": 950, "currency": "EUR"}}
    assert price("telegram_stars 500 XTR") == {"telegram_stars": {"amount": 500, "currency": "XTR"}}
    for bad in ("stripe 12.999 USD", "telegram_stars 2.5 XTR", "stripe -3 USD", "stripe 12"):
        assert price(bad) is None, bad


async def test_a_grant_says_how_long_and_reads_as_a_gift_not_a_payment(bot, db):
    """The preview said "(days: -)", and the member was told "Payment received, thank you!"
    for a plan nobody paid for."""
    await bot.say("alice", "/start")
    assert "Alice: 30 days, the plan's period." in await bot.text("mod", "/grant @alice monthly")
    await bot.press("mod", bot.button("mod"))
    (gift,) = [r for r in bot.last["mod"] if getattr(r, "member_id", None)]
    assert gift.text.startswith("A moderator gave you “Monthly membership”. It is active until")
    assert "1 day." in await bot.text("mod", "/grant @alice yearly 1")
    # the plan by its title in either language, and named so in the preview (was the code,
    # and only the code was understood)
    assert "Grant plan Yearly membership to" in await bot.text("mod", "/grant @alice year 2")
    assert "Grant plan Yearly membership to" in await bot.text("mod", "/grant @alice 年度会员 2")
    assert "for life" in await bot.text("mod", "/grant @alice lifetime")
    assert "by 1 day." in await bot.text("mod", "/extend @alice 1")


async def test_grant_and_extend_say_what_the_member_holds_and_the_new_end(bot, clock):
    """A second grant of a plan the member holds adds its days after the current end, which
    the preview did not say; neither reply told the moderator when the plan now ends."""
    await bot.say("alice", "/start")
    assert "already have" not in await bot.text("mod", "/grant @alice monthly 10")
    done = "\n".join(r.text for r in await bot.press("mod", bot.button("mod")))
    assert "Done: plan granted. It now runs until 2026-03-12 09:00 UTC." in done
    out = await bot.text("mod", "/grant @alice monthly 5")
    assert "They already have it until 2026-03-12 09:00 UTC: the days are added from then." in out
    done = "\n".join(r.text for r in await bot.press("mod", bot.button("mod")))
    assert "It now runs until 2026-03-17 09:00 UTC." in done
    out = await bot.text("mod", "/extend @alice 3")
    assert "Monthly membership, now until 2026-03-17 09:00 UTC" in out
    done = "\n".join(r.text for r in await bot.press("mod", bot.button("mod")))
    assert "Done: membership extended. It now runs until 2026-03-20 09:00 UTC." in done


@pytest.mark.parametrize(
    "text, expected",
    [
        ("7d spamming", (7, "spamming")),
        ("for 2 weeks: spam", (14, "spam")),
        ("1 month", (30, "")),
        ("2 spam", (2, "spam")),
        ("3rd warning", (None, "3rd warning")),
        ("spamming links", (None, "spamming links")),
        ("for spam", (None, "spam")),  # "ban carol for spam": "Reason: for spam" before
        ("7 days because of spam", (7, "spam")),
        ("", (None, "")),
    ],
)
def test_a_ban_reads_a_leading_length_apart_from_its_reason(text, expected):
    assert leading_length(text) == expected
