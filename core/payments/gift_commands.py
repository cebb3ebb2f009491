"""/gift PLAN [SEATS] buys seats of a plan for others; /gifts lists them and who joined."""

from __future__ import annotations

import re

from core.context import Context
from core.ids import parse_id
from core.membership import plans, service
from core.membership.commands import period_text
from core.membership.errors import MembershipError
from core.payments import checkout, gifts
from core.qa import help_answers
from core.replies import AnyReply, ButtonSpec, Reply
from core.router import button, command

BUTTON = "gnew"


@command("gift", help_key="membership.help_gift", usage_key="membership.usage_gift")
async def gift_cmd(ctx: Context, args: str) -> list[AnyReply]:
    if not args.strip():
        return [Reply(ctx.t("membership.gift_intro", max=gifts.MAX_SEATS))]
    typed, seats, note = gifts.parse(args)
    plan = await plans.get_plan(ctx.session, typed)
    invoices = await checkout.offer(
        ctx.session, ctx.services, ctx.member, ctx.event.actor.platform, plan, seats, note or None
    )
    about = Reply(
        ctx.t(
            "membership.gift_about",
            n=seats,
            plan=plans.title(plan, ctx.locale),
            period=period_text(ctx, plan.period_days),
        )
        + ("\n" + ctx.t("membership.gift_note_goes", note=note) if note else "")
    )
    return service.for_self(ctx.member.id, [about, *invoices])


@command("gifts", help_key="membership.help_gifts")
async def gifts_cmd(ctx: Context, args: str) -> list[AnyReply]:
    mine = await gifts.mine(ctx.session, ctx.services, ctx.member)
    if not mine:
        return [Reply(ctx.t("membership.gifts_none"), ephemeral=True)]
    lines = [ctx.t("membership.gifts_head")]
    buttons: list[list[ButtonSpec]] = []
    for g in mine:
        if g.payment.status == "refunded":
            state = ctx.t("membership.gifts_refunded")
        elif g.live is not None:
            state = ctx.t("membership.gifts_live", hint=g.live.hint, until=f"{g.until:%Y-%m-%d}")
            buttons.append(
                [
                    ButtonSpec(
                        ctx.t("membership.gifts_new_code", hint=g.live.hint),
                        data=ctx.sign(BUTTON, str(g.live.id)),
                    )
                ]
            )
        elif len(g.joined) >= g.seats:
            state = ctx.t("membership.gifts_all_used")
        else:
            state = ctx.t("membership.gifts_expired", when=f"{g.until:%Y-%m-%d}")
        lines.append(
            ctx.t(
                "membership.gifts_line",
                plan=plans.title(g.plan, ctx.locale),
                n=g.seats,
                bought=f"{g.payment.created_at:%Y-%m-%d}",
                used=len(g.joined),
                names=", ".join(g.joined) or "—",
                state=state,
            )
        )
    if buttons:
        lines.append(ctx.t("membership.gifts_new_code_hint"))
    return [Reply("\n".join(lines), buttons=buttons, ephemeral=True)]


@button(BUTTON)
async def new_code_button(ctx: Context, parts: list[str]) -> list[AnyReply]:
    code_id = parse_id(parts[0]) if parts else None
    if code_id is None:
        raise MembershipError("gift_unknown")
    row, plain = await gifts.new_code(ctx.session, ctx.services, ctx.member, code_id)
    return [
        Reply(
            ctx.t(
                "membership.gift_new_code",
                code=plain,
                left=row.uses_left,
                until=f"{row.expires_at:%Y-%m-%d}",
            ),
            ephemeral=True,
        )
    ]


_LOST = re.compile(
    r"\b(?:lost|deleted?|can'?t find|cannot find|misplaced|resend|re-send)\b[^.?!]{0,50}"
    r"\b(?:code|gift)\b|\bsend (?:me )?(?:the |my )?(?:\w+ )?code (?:again|once more)\b"
    r"|(?:码|兑换码)(?:丢了|找不到了?|删了)|(?:丢了|删了|找不到)[^。？！?!]{0,6}码|(?:再发|重新发|重发)[^。？！?!]{0,4}码",
    re.IGNORECASE,
)
_WHO = re.compile(
    r"\bwho(?:'s| has| have)? (?:\w+ ){0,3}(?:joined|redeemed|used)\b|\bwhich of my (?:people|team|"
    r"colleagues|friends|students)\b|\b(?:how many|any) (?:seats|people)\b[^.?!]{0,30}\b(?:used|"
    r"joined|left)\b|谁(?:已经)?(?:加入|兑换|用了)|(?:用了|剩)(?:几个|多少)(?:席位|名额)",
    re.IGNORECASE,
)


@help_answers.lookup_first
async def asked_about_my_gifts(ctx: Context, question: str) -> list[AnyReply] | None:
    """ "I deleted the message with the code, can you resend it?", "which of my people have
    joined so far?" from a member who bought a gift: their gifts, with the button for a new
    code (the old one cannot be shown again: only its last four characters are kept). From
    anyone else it is another question (an invite link, a code someone gave them)."""
    lost = _LOST.search(question) is not None
    if not lost and _WHO.search(question) is None:
        return None
    if not await gifts.mine(ctx.session, ctx.services, ctx.member):
        return None
    head = Reply(ctx.t("membership.gifts_lost" if lost else "membership.gifts_who"))
    return [head, *(await gifts_cmd(ctx, "") or [])]
