"""Send-only Discord for `--role scheduler`: HTTP login, no gateway, deliveries still go out."""

from __future__ import annotations

import sys
import types
from typing import Any

import dc_payloads as P
import pytest
from dc_wire import DiscordWire

from bot.discord import runner
from bot.discord.client import SyllabotDiscord
from core.events import Actor
from core.members import resolve
from core.replies import Reply

MESSAGES = "POST /channels/{channel_id}/messages"


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def _client_on(wire: DiscordWire, monkeypatch: pytest.MonkeyPatch) -> Any:
    def make(app: Any) -> SyllabotDiscord:
        client = SyllabotDiscord(app, members_intent=False, sync=False)
        wire.install(monkeypatch, client)
        return client

    return make


@pytest.fixture
def wire() -> Any:
    w = DiscordWire()
    yield w
    w.assert_spec_clean()


async def _discord_member(app: Any, uid: int) -> int:
    async with app.services.session_factory() as s, s.begin():
        # a slash-command user: no DM channel known yet, so DMs go to user:<id>
        member, _ = await resolve(
            s, app.services.clock, Actor("discord", str(uid), "Dora"), secret="test"
        )
        return member.id


async def test_sender_logs_in_over_http_and_never_opens_the_gateway(app, wire, monkeypatch):
    client = await runner.attach_sender(app, make_client=_client_on(wire, monkeypatch))
    try:
        assert wire.routes() == ["GET /users/@me", "GET /oauth2/applications/@me"]
        assert client.ws is None and not client.is_ready()  # no gateway session was opened
        extras = app.services.extras
        assert extras["deliverers"]["discord"].client is client
        assert "discord" in extras["executors"]
    finally:
        await runner.detach_sender(app)
    assert "discord_sender" not in app.services.extras


async def test_scheduler_drains_digests_to_discord_channels_and_dms(app, wire, monkeypatch):
    from core.digest.delivery import drain
    from core.digest.outbox import enqueue
    from core.digest.ratelimit import RateLimiter

    await runner.attach_sender(app, make_client=_client_on(wire, monkeypatch))
    mid = await _discord_member(app, 5151)
    now = app.services.clock.now()
    async with app.services.session_factory() as s, s.begin():
        await enqueue(
            s,
            platform="discord",
            target=f"channel:{P.GENERAL_CHANNEL}",
            payload={"text": "Cohort digest"},
            dedupe_key="test:cohort",
            not_before=now,
        )
        await enqueue(
            s, member_id=mid, payload={"text": "Your digest"}, dedupe_key="test:dm", not_before=now
        )
    t = FakeTime()
    report = await drain(
        app.services, rate_limiter=RateLimiter(monotonic=t.monotonic, sleep=t.sleep), budget_s=None
    )
    await runner.detach_sender(app)
    assert report.sent == 2
    posts = {c.url.split("/channels/")[1].split("/")[0]: c.body for c in wire.find(MESSAGES)}
    assert posts[str(P.GENERAL_CHANNEL)]["content"] == "Cohort digest"
    assert wire.find("POST /users/@me/channels")[0].body == {"recipient_id": 5151}
    assert "Your digest" in [b["content"] for b in posts.values()]


async def test_job_replies_reach_discord_members_from_the_scheduler(app, wire, monkeypatch):
    await runner.attach_sender(app, make_client=_client_on(wire, monkeypatch))
    mid = await _discord_member(app, 5252)
    await app.services.extras["reply_sink"]([Reply("Your trial ends tomorrow", member_id=mid)])
    await runner.detach_sender(app)
    (msg,) = wire.find(MESSAGES)
    assert msg.body["content"] == "Your trial ends tomorrow"


async def test_scheduler_role_attaches_discord_send_only(app, wire, monkeypatch):
    """`syllabot run --role scheduler`: the scheduler's deliveries reach Discord, then the
    sender is closed with the process."""
    import bot.runtime as runtime

    seen: dict[str, Any] = {}

    async def fake_scheduler(a: Any) -> None:
        seen["executors"] = sorted(a.services.extras.get("executors", {}))
        mid = await _discord_member(a, 5353)
        await a.services.extras["reply_sink"]([Reply("Reminder", member_id=mid)])

    mod = types.ModuleType("fake_scheduler_for_test")
    mod.start = fake_scheduler  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, mod.__name__, mod)
    monkeypatch.setattr(runtime, "COMPONENTS", {"scheduler": [mod.__name__]})
    monkeypatch.setattr(runtime, "build_app", lambda _s: app)

    class WiredClient(SyllabotDiscord):
        def __init__(self, a: Any, **kw: Any) -> None:
            super().__init__(a, **kw)
            wire.install(monkeypatch, self)

    monkeypatch.setattr(runner, "SyllabotDiscord", WiredClient)
    await runtime.serve(app.settings, "scheduler")
    assert seen["executors"] == ["discord"]
    assert [c.body["content"] for c in wire.find(MESSAGES)] == ["Reminder"]
    assert not any("gateway" in r for r in wire.routes())
    assert "discord_sender" not in app.services.extras
