"""A scripted community month, end to end, on SQLite and PostgreSQL.

MEMBERS people join through every door (free trial, Telegram Stars through the real PTB
Application on the fake wire, Stripe through signed webhooks over HTTP, codes with /redeem,
the console adapter), a few ask questions, the daily jobs run digests and renewals for 40 days,
some fail to renew, one is refunded and one banned by a moderator pressing the confirmation
button. At the end three independent records must tell the same story:

* the database (subscription states and active AccessGrant rows),
* the platform calls the bot made (invite links / join approvals vs bans on the wire),
* the audit log (grants minus revocations, payments applied and refunded),

and all of them must equal what the script did (the oracle): who has access, who paid what.
"""

from __future__ import annotations

import json
import os
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import stripe
from aiohttp.test_utils import TestClient, TestServer
from e2e_tg_payloads import (
    GROUP_ID,
    callback,
    join_request,
    message,
    pre_checkout,
    successful_payment,
    user,
)
from sqlalchemy import func, select

from core.membership.state import ACCESS_STATES
from models.audit import AuditLog
from models.digest import Digest
from models.member import Account, Member
from models.membership import AccessGrant, Payment, Subscription

# Scale: the 200 members the issue asks for, by default. Measured 2026-11-23 on the idle
# 2-core box after digest composition went batch (recommend_many) and reconcile set-based:
# ~62 s per engine. E2E_MEMBERS=60 for a quick local run, larger for a soak.
MEMBERS = int(os.environ.get("E2E_MEMBERS", "200"))
DAYS = 40
MOD = user(9000, "Mod", username="moderator")
STRIPE_DATA = os.path.join(os.path.dirname(__file__), "..", "data", "stripe")
STRIPE_SECRET = "whsec_e2e_secret"
STARS, CENTS = 250, 900


@dataclass
class Person:
    """What the script did for one person: the oracle the three records are checked against."""

    key: str
    door: str  # stars | stripe | code | trial | console_code | console_trial
    platform: str = "telegram"
    uid: int = 0
    renews: bool = False
    paid: list[tuple[str, int]] = field(default_factory=list)  # (provider, amount)
    refunded: list[tuple[str, int]] = field(default_factory=list)
    banned: bool = False
    tg: dict[str, Any] = field(default_factory=dict)

    @property
    def has_access(self) -> bool:
        return self.renews and not self.banned and not self.refunded


class Month:
    """Drives the product like the outside world does; remembers what it did."""

    def __init__(self, app: Any, tg: Any, wire: Any, stripe_api: Any, client: TestClient) -> None:
        from bot.console.adapter import ConsoleAdapter

        self.app, self.tg, self.wire, self.stripe_api, self.http = app, tg, wire, stripe_api, client
        self.console = ConsoleAdapter(app.router)
        self.people: list[Person] = []
        self.charges = 0
        self.events = 0
        self.sink = app.services.extras["reply_sink"]

    # --- doors ---------------------------------------------------------------------------

    def _sent_to(self, uid: int, method: str = "sendMessage") -> list[Any]:
        return [c for c in self.wire.of(method) if int(c.params.get("chat_id", 0)) == uid]

    async def stars_pay(self, p: Person) -> None:
        u = p.tg
        n_inv = len(self._sent_to(p.uid, "sendInvoice"))
        await self.tg.process(message(u, "/subscribe monthly"))
        invoices = self._sent_to(p.uid, "sendInvoice")
        assert len(invoices) == n_inv + 1, f"{p.key}: no Stars invoice"
        payload = invoices[-1]["payload"]
        await self.tg.process(pre_checkout(u, STARS, payload))
        answer = self.wire.of("answerPreCheckoutQuery")[-1]
        assert answer["ok"] is True, answer.params
        self.charges += 1
        paid = successful_payment(u, STARS, payload, f"stx{self.charges:06d}")
        await self.tg.process(paid)
        if self.charges % 7 == 0:  # Telegram redelivers some updates: nothing happens twice
            await self.tg.process(paid)
        p.paid.append(("telegram_stars", STARS))

    async def stripe_checkout(self, p: Person) -> str:
        before = len(self.stripe_api.sessions)
        await self.tg.process(message(p.tg, "/subscribe monthly"))
        assert len(self.stripe_api.sessions) == before + 1, f"{p.key}: no Stripe checkout"
        return self.stripe_api.sessions[-1]["metadata[payload]"][0]

    async def stripe_event(self, kind: str, obj: dict[str, Any], *, replay: bool = False) -> None:
        base = "invoice.paid" if kind.startswith("invoice.") else kind
        with open(os.path.join(STRIPE_DATA, f"{base}.json"), encoding="utf-8") as f:
            body = json.load(f)
        self.events += 1
        body["id"], body["type"] = f"evt_e2e_{self.events}", kind
        body["data"]["object"].update(obj)
        raw = json.dumps(body).encode()
        for _ in range(2 if replay else 1):
            header = stripe.WebhookSignature.generate_signature_header(raw.decode(), STRIPE_SECRET)
            r = await self.http.post(
                "/webhooks/stripe", data=raw, headers={"Stripe-Signature": header}
            )
            assert r.status == 200, await r.text()

    async def stripe_join(self, p: Person) -> None:
        payload = await self.stripe_checkout(p)
        p.tg["payload"], p.tg["sub"] = payload, f"sub_e2e_{p.uid}"
        await self.stripe_event(
            "checkout.session.completed",
            {
                "id": f"cs_{p.uid}",
                "mode": "subscription",
                "payment_status": "paid",
                "subscription": p.tg["sub"],
                "metadata": {"payload": payload},
            },
        )
        await self.stripe_invoice(p, "invoice.paid", f"in_{p.uid}_1", replay=p.uid % 5 == 0)

    async def stripe_invoice(self, p: Person, kind: str, inv: str, *, replay: bool = False) -> None:
        parent = {
            "type": "subscription_details",
            "subscription_details": {
                "subscription": p.tg["sub"],
                "metadata": {"payload": p.tg["payload"]},
            },
        }
        await self.stripe_event(kind, {"id": inv, "parent": parent}, replay=replay)
        if kind == "invoice.paid":
            p.paid.append(("stripe", CENTS))

    async def new_codes(self, n: int) -> list[str]:
        self.console.user = "mod"
        asked = "\n".join(await self.console.handle_line(f"/codes new monthly --count {n}"))
        assert "Confirm?" in asked, asked  # codes create access: the moderator confirms first
        lines = await self.console.handle_line("/press 1")
        text = "\n".join(lines)
        made = [w.strip() for w in text.splitlines()[1:] if w.strip()]
        assert len(made) == n, text
        return made

    async def redeem(self, p: Person, code: str) -> None:
        if p.platform == "telegram":
            n = len(self._sent_to(p.uid))
            await self.tg.process(message(p.tg, f"/redeem {code}"))
            assert len(self._sent_to(p.uid)) > n
        else:
            self.console.user = p.key
            out = "\n".join(await self.console.handle_line(f"/redeem {code}"))
            assert "not valid" not in out and out, out
        p.paid.append(("code", 0))

    async def trial(self, p: Person) -> None:
        if p.platform == "telegram":
            await self.tg.process(message(p.tg, "/plans"))
            markup = self._sent_to(p.uid)[-1]["reply_markup"]
            data = next(
                b["callback_data"]
                for row in markup["inline_keyboard"]
                for b in row
                if b.get("callback_data", "").startswith("mtrial")
            )
            await self.tg.process(callback(p.tg, data))
        else:
            self.console.user = p.key
            await self.console.handle_line("/plans")
            btns = self.console.buttons[p.key]
            idx = next(i for i, b in enumerate(btns, 1) if (b.data or "").startswith("mtrial"))
            out = "\n".join(await self.console.handle_line(f"/press {idx}"))
            assert "trial" in out.lower(), out

    async def join_group(self, p: Person) -> None:
        """Follow the invite: the join request must be approved for people with access."""
        await self.tg.process(join_request(p.tg))

    async def moderate(self, command: str) -> str:
        """A moderator's command in their private chat, confirmed with its button."""
        await self.tg.process(message(MOD, command))
        markup = self._sent_to(9000)[-1].params.get("reply_markup")
        assert markup, self._sent_to(9000)[-1]["text"]
        confirm = markup["inline_keyboard"][0][0]["callback_data"]
        await self.tg.process(callback(MOD, confirm))
        return self._sent_to(9000)[-1]["text"]

    async def jobs(self) -> None:
        from core.jobs import run_all

        await self.sink(await run_all(self.app.services))


async def _courses(db: Any, now: Any) -> None:
    """A small catalogue, so digests have something to say."""
    from models.catalog import Course, Lesson

    async with db.session() as s, s.begin():
        for slug, tags in [
            ("sql-joins", ["sql"]),
            ("pandas-basics", ["python", "data"]),
            ("git-101", ["git"]),
        ]:
            c = Course(slug=slug, title=slug.replace("-", " ").title(), tags=tags, created_at=now)
            s.add(c)
            await s.flush()
            for j in range(3):
                s.add(Lesson(course_id=c.id, slug=f"l{j}", title=f"Lesson {j}", position=j))


def _cast(n: int) -> list[Person]:
    """Shares per door: 30% Stars, 20% Stripe, 15% codes, 15% trials, 20% console."""
    doors = ["stars"] * 6 + ["stripe"] * 4 + ["code"] * 3 + ["trial"] * 3
    doors += ["console_code"] * 2 + ["console_trial"] * 2
    out = []
    for i in range(n):
        door = doors[i % len(doors)]
        # a third let their membership lapse; a console trial cannot be paid for, so it lapses
        p = Person(key=f"m{i:04d}", door=door, renews=i % 3 != 0 and door != "console_trial")
        if door.startswith("console"):
            p.platform = "console"
        else:
            p.uid = 100_000 + i
            p.tg = user(p.uid, f"M{i}", username=p.key, lang="zh-CN" if i % 4 == 0 else "en")
        out.append(p)
    return out


async def test_a_community_month_agrees_everywhere(app, db, clock, tg, wire, stripe_api):
    from bot.web import build_web_app

    async with TestClient(TestServer(build_web_app(app), host="127.0.0.1")) as client:
        month = Month(app, tg, wire, stripe_api, client)
        people = _cast(MEMBERS)
        month.people = people
        by_door: dict[str, list[Person]] = defaultdict(list)
        for p in people:
            by_door[p.door].append(p)
        await _courses(db, clock.now())
        codes = iter(await month.new_codes(len(by_door["code"]) + len(by_door["console_code"])))
        asked = 0
        for day in range(DAYS + 1):
            # joins spread over the first five days
            for p in people[day::5] if day < 5 else []:
                if p.door == "stars":
                    await month.stars_pay(p)
                elif p.door == "stripe":
                    await month.stripe_join(p)
                elif p.door in ("code", "console_code"):
                    await month.redeem(p, next(codes))
                else:
                    await month.trial(p)
                if p.platform == "telegram":
                    await month.join_group(p)
                if asked < 2 and p.platform == "telegram":
                    asked += 1
                    await tg.process(message(p.tg, "/ask how do I write a LEFT JOIN in SQL?"))
                    assert month._sent_to(p.uid), "a question gets an answer or a thread"
            if day == 5:  # trial members who stay pay with Stars before the trial ends
                for p in by_door["trial"]:
                    if p.renews:
                        await month.stars_pay(p)
                        await month.join_group(p)
            if day == 26:  # renewals
                more = iter(
                    await month.new_codes(
                        sum(p.renews for p in by_door["code"] + by_door["console_code"])
                    )
                )
                for p in people:
                    if not p.renews:
                        continue
                    if p.door in ("stars", "trial"):
                        await month.stars_pay(p)
                    elif p.door in ("code", "console_code"):
                        await month.redeem(p, next(more))
            if day == 30:  # Stripe bills the second month: some cards fail
                for p in by_door["stripe"]:
                    kind = "invoice.paid" if p.renews else "invoice.payment_failed"
                    await month.stripe_invoice(p, kind, f"in_{p.uid}_2", replay=p.uid % 4 == 0)
            if day == 31:
                refunded = next(p for p in by_door["stars"] if p.renews)
                text = await month.moderate(f"/refund @{refunded.key}")
                assert "refund" in text.lower(), text
                refunded.refunded.append(("telegram_stars", STARS))
                banned = next(p for p in by_door["stripe"] if p.renews)
                text = await month.moderate(f"/ban @{banned.key} chargeback fraud")
                assert "ban" in text.lower(), text
                # and Stripe stops billing the banned member (their plan renews there)
                assert [form["cancel_at_period_end"] for _, form in month.stripe_api.renewals] == [
                    ["true"]
                ]
                banned.banned = True
            # the next morning, after the digest hour: every periodic job runs once
            clock.set(clock.now().replace(hour=9, minute=30) + timedelta(days=1))
            await month.jobs()
    await _agree(db, wire, people)


async def _agree(db: Any, wire: Any, people: list[Person]) -> None:
    """The database, the wire and the audit log each say who has access and who paid what."""
    expected = {p.key for p in people if p.has_access}
    tg_expected = {p.uid for p in people if p.has_access and p.platform == "telegram"}
    async with db.session() as s:
        acc = {
            (a.platform, a.username or a.platform_user_id): a.member_id
            for a in (await s.execute(select(Account))).scalars()
        }
        key_of = {mid: p.key for p in people if (mid := acc.get((p.platform, p.key))) is not None}
        assert len(key_of) == len(people), "every person became exactly one member"
        subs = (await s.execute(select(Subscription))).scalars().all()
        grants = (
            (await s.execute(select(AccessGrant).where(AccessGrant.revoked_at.is_(None))))
            .scalars()
            .all()
        )
        payments = (await s.execute(select(Payment))).scalars().all()
        audits = (await s.execute(select(AuditLog).order_by(AuditLog.id))).scalars().all()
        members = {m.id: m for m in (await s.execute(select(Member))).scalars()}
        digests = (await s.execute(select(Digest.member_id, Digest.period_key))).all()
        sent_digests = (
            await s.execute(select(func.count()).select_from(Digest).where(Digest.status == "sent"))
        ).scalar_one()

    # 1. database: subscription states and grants
    assert Counter(s.member_id for s in subs).most_common(1)[0][1] == 1, "one sub per member"
    db_access = {key_of[s.member_id] for s in subs if s.state in ACCESS_STATES}
    assert db_access == expected, (
        f"should have access but don't: {sorted(expected - db_access)[:10]}; "
        f"have access but shouldn't: {sorted(db_access - expected)[:10]}"
    )
    uid_of = {p.key: p.uid for p in people}
    grant_uids = {uid_of[key_of[g.member_id]] for g in grants}
    assert grant_uids == tg_expected
    assert all(g.platform == "telegram" and g.target == str(GROUP_ID) for g in grants)
    banned = [p for p in people if p.banned]
    assert [members[mid].role for mid, k in key_of.items() if k == banned[0].key] == ["banned"]

    # digests ran daily and nobody got the same period's digest twice
    assert sent_digests > 0, "no digest was sent in a month"
    assert len(digests) == len(set(digests)), "a member got two digests for one period"

    # 2. the wire: each person's last word from the bot in the group is "in" or "out"
    last: dict[int, str] = {}
    links: Counter[int] = Counter()
    for c in wire.calls:
        if c.method == "approveChatJoinRequest":
            last[int(c["user_id"])] = "in"
        elif c.method == "banChatMember":
            last[int(c["user_id"])] = "out"
        elif c.method == "declineChatJoinRequest":
            last.setdefault(int(c["user_id"]), "out")
        elif c.method == "createChatInviteLink":
            assert c["member_limit"] == 1 and int(c["chat_id"]) == GROUP_ID
    for c in wire.of("sendMessage"):
        if "https://t.me/+Inv" in c.params.get("text", ""):
            links[int(c["chat_id"])] += 1
    wire_in = {uid for uid, v in last.items() if v == "in"}
    assert wire_in == tg_expected, (
        f"missing on the wire: {sorted(tg_expected - wire_in)[:10]}; "
        f"extra: {sorted(wire_in - tg_expected)[:10]}"
    )
    assert len(wire.of("createChatInviteLink")) == sum(links.values())
    # everyone who ever had access on Telegram got exactly one link per grant
    grants_audited: Counter[str] = Counter()
    revokes_audited: Counter[str] = Counter()
    for a in audits:
        if a.action == "access.grant":
            grants_audited[a.target] += 1
        elif a.action == "access.revoke":
            revokes_audited[a.target] += 1
    for mid, key in key_of.items():
        p = next(x for x in people if x.key == key)
        if p.platform == "telegram":
            assert links[p.uid] == grants_audited[f"member:{mid}"], key

    # 3. audit log: grants minus revocations == access; every state change audited
    audit_in = {
        key_of[int(t.split(":")[1])]
        for t in grants_audited
        if grants_audited[t] - revokes_audited[t] == 1
    }
    assert audit_in == {p.key for p in people if p.has_access and p.platform == "telegram"}
    assert all(grants_audited[t] - revokes_audited[t] in (0, 1) for t in grants_audited)
    last_state: dict[str, str] = {}
    for a in audits:
        if a.action.startswith("subscription.") and a.after:
            last_state[a.target] = a.after["state"]
    for sub in subs:
        assert last_state.get(f"member:{sub.member_id}") == sub.state, key_of[sub.member_id]

    # money: per provider, what the script paid == payments applied (+ refunded), no duplicates
    sent: Counter[str] = Counter()
    sent_n: Counter[str] = Counter()
    for p in people:
        for prov, amount in p.paid:
            sent[prov] += amount
            sent_n[prov] += 1
    got: Counter[str] = Counter()
    got_n: Counter[str] = Counter()
    for pay in payments:
        assert pay.status in ("applied", "refunded"), (pay.provider, pay.status, pay.note)
        got[pay.provider] += pay.amount
        got_n[pay.provider] += 1
    assert {k: v for k, v in got_n.items() if k != "code"} == {
        k: v for k, v in sent_n.items() if k != "code"
    }
    assert got["telegram_stars"] == sent["telegram_stars"] and got["stripe"] == sent["stripe"]
    charge_ids = [(pay.provider, pay.provider_charge_id) for pay in payments]
    assert len(charge_ids) == len(set(charge_ids)), "a charge recorded twice"
    refunded = [pay for pay in payments if pay.status == "refunded"]
    assert [(r.provider, r.amount) for r in refunded] == [x for p in people for x in p.refunded]
    assert len(wire.of("refundStarPayment")) == 1
    applied_audits = Counter(a.action for a in audits)
    assert applied_audits["payment.applied"] == sum(
        1 for pay in payments if pay.provider != "code"
    ) or applied_audits["payment.applied"] == len(payments)
    assert applied_audits["payment.refunded"] == 1
    assert applied_audits["member.ban"] == 1
