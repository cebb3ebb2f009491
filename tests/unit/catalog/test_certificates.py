"""Certificates of completion ("do i get a certificate when i finish a course?", "is there a
verification link employers can check" got "the bot does not issue certificates"): issued
once when the last lesson is done, listed by /certificate, checked by code in the chat and
on a public page, revoked by moderators, and gone with /forget."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.web import build_web_app
from core.catalog import certificates
from core.catalog.importer import read_file
from core.catalog.service import apply_catalog
from core.events import Actor, Chat, Command
from core.replies import Reply
from models.audit import AuditLog
from models.catalog import Certificate, Enrollment
from models.member import Account, Member

DATA = Path(__file__).parents[2] / "data" / "catalog"
CODE = re.compile(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}")


async def _finish_intro_sql(console_bot, db, clock, who: str) -> str:
    async with db.session() as s, s.begin():
        await apply_catalog(s, clock, read_file(DATA / "catalog.yaml"))
    await console_bot.send("/enroll intro-sql", as_member=who)
    await console_bot.send("/done")
    await console_bot.send("/done")
    return await console_bot.send("/done")


async def _certificate_replies(app, who: str) -> list[Reply]:
    out = await app.router.dispatch(
        Command(
            Actor("console", who, username=who), Chat("console", who), name="certificate", args=""
        )
    )
    return [r for r in out if isinstance(r, Reply)]


async def test_finishing_a_course_issues_a_certificate_that_anyone_can_check(
    console_bot, app, db, clock
):
    clock.set(datetime(2026, 12, 7, 18, 0, tzinfo=UTC))
    app.services.settings.public_url = "https://club.example"
    out = await _finish_intro_sql(console_bot, db, clock, "alice")
    assert "You completed “Intro to SQL”" in out and "🎓 Your certificate of completion:" in out
    code = CODE.search(out.split("certificate of completion:")[1]).group(0)  # type: ignore[union-attr]
    replies = await _certificate_replies(app, "alice")
    assert len(replies) == 2, [r.text for r in replies]
    header, card = replies
    assert header.text == "🎓 Your certificates of completion (1):"
    assert card.text.splitlines() == [
        "🎓 Intro to SQL",
        "Alice completed all 3 lessons (about 1.5 h) on 2026-12-07 in Syllabot Community.",
        f"Certificate ID: {code}",
        f"Anyone can check it at https://club.example/certificates/{code}",
    ]
    linkedin, page = (b.url for b in card.buttons[0])
    query = parse_qs(urlparse(linkedin).query)
    assert linkedin.startswith("https://www.linkedin.com/profile/add?")
    assert query["startTask"] == ["CERTIFICATION_NAME"] and query["name"] == ["Intro to SQL"]
    assert query["certId"] == [code] and query["issueYear"] == ["2026"]
    assert query["certUrl"] == [page] == [f"https://club.example/certificates/{code}"]
    # asked again: the same certificate, not a second one
    assert code in (await _certificate_replies(app, "alice"))[1].text
    # checked in the chat by anyone, the code typed loosely
    out = await console_bot.send(
        f"/certificate check {code.lower().replace('-', ' ')}", as_member="bob"
    )
    assert out == (
        f"✅ Valid: Alice completed “Intro to SQL” on 2026-12-07 in Syllabot Community "
        f"(certificate {code})."
    )
    assert "No certificate has the code" in await console_bot.send("/certificate ABCD-EFGH-JKMN")
    # and on the public page, over real HTTP
    async with TestClient(TestServer(build_web_app(app), host="127.0.0.1")) as client:
        r = await client.get(f"/certificates/{code}")
        body = await r.text()
        assert r.status == 200 and "<strong>Alice</strong> completed all 3 lessons" in body
        assert (await client.get("/certificates/ABCD-EFGH-JKMN")).status == 404
    async with db.session() as s:
        actions = (await s.execute(select(AuditLog.action))).scalars().all()
    assert actions.count("certificate.issued") == 1


async def test_courses_finished_before_get_theirs_on_asking_and_names_are_escaped(
    console_bot, app, db, clock
):
    clock.set(datetime(2026, 12, 7, 18, 0, tzinfo=UTC))
    await _finish_intro_sql(console_bot, db, clock, "eve")
    async with db.session() as s, s.begin():  # as if finished before certificates existed
        await s.execute(Certificate.__table__.delete())
        eve = (
            await s.execute(select(Member).join(Account).where(Account.platform_user_id == "eve"))
        ).scalar_one()
        eve.display_name = "<script>alert(1)</script>"
    header, card = await _certificate_replies(app, "eve")
    code = CODE.search(card.text).group(0)  # type: ignore[union-attr]
    assert "Anyone can check it by sending me /certificate" in card.text  # no public address
    async with db.session() as s:
        enrolled = (await s.execute(select(Enrollment))).scalar_one()
        cert = (await s.execute(select(Certificate))).scalar_one()
        assert cert.completed_at == enrolled.completed_at
    async with TestClient(TestServer(build_web_app(app), host="127.0.0.1")) as client:
        body = await (await client.get(f"/certificates/{code}")).text()
    assert "<script>" not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body


async def test_only_moderators_revoke_and_forget_takes_the_certificate(console_bot, app, db, clock):
    clock.set(datetime(2026, 12, 7, 18, 0, tzinfo=UTC))
    await _finish_intro_sql(console_bot, db, clock, "alice")
    async with db.session() as s:
        code = (await s.execute(select(Certificate.code))).scalar_one()
    out = await console_bot.send(f"/certificate revoke {code} copied", as_member="bob")
    assert "moderators only" in out
    out = await console_bot.send(f"/certificate revoke {code}", as_member="mod")  # no reason
    assert out.endswith("/certificate revoke CODE REASON")
    out = await console_bot.send(f"/certificate revoke {code} plagiarised the exercises")
    assert out.startswith(f"Revoked certificate {code} (Alice, Intro to SQL).")
    assert "already revoked" in await console_bot.send(f"/certificate revoke {code} again")
    out = await console_bot.send(f"/certificate {code}", as_member="bob")
    assert out == f"⚠️ Certificate {code} was revoked on 2026-12-07 and is no longer valid."
    assert "⚠️ Revoked" in (await _certificate_replies(app, "alice"))[1].text
    async with TestClient(TestServer(build_web_app(app), host="127.0.0.1")) as client:
        assert "was revoked" in await (await client.get(f"/certificates/{code}")).text()
    await console_bot.send("/forget", as_member="alice")
    await console_bot.send("/press 1")
    async with db.session() as s:
        assert (await s.execute(select(Certificate))).first() is None
    assert "No certificate has the code" in await console_bot.send(f"/certificate {code}")


def test_codes_are_read_as_typed() -> None:
    assert certificates.normalize("abcd efgh-jkmn") == "ABCD-EFGH-JKMN"
    assert certificates.normalize("ABCD-EFGH") == ""
    assert CODE.fullmatch(certificates.new_code())


async def test_the_day_is_the_holders_own_and_no_link_is_promised_without_a_page(
    console_bot, app, db, clock
):
    """Finished at 02:00 in Shanghai (18:00 UTC the day before): the certificate read the UTC
    date. Without a public page, the message promised "a link anyone can check"."""
    clock.set(datetime(2026, 12, 7, 18, 0, tzinfo=UTC))
    app.services.settings.public_url = ""
    await console_bot.send("/profile timezone Asia/Shanghai", as_member="mei")
    out = await _finish_intro_sql(console_bot, db, clock, "mei")
    assert "a link anyone can check" not in out and "by sending me /certificate" in out
    code = CODE.search(out.split("certificate of completion:")[1]).group(0)  # type: ignore[union-attr]
    (_, card) = await _certificate_replies(app, "mei")
    assert "on 2026-12-08 in" in card.text
    checked = await console_bot.send(f"/certificate {code}", as_member="bob")
    assert "on 2026-12-08 in" in checked
    async with TestClient(TestServer(build_web_app(app), host="127.0.0.1")) as client:
        assert "on 2026-12-08 in" in await (await client.get(f"/certificates/{code}")).text()
