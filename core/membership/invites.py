"""`/invite`: a fresh way into the chats a member's plan opens, and the questions that ask
for one ("where is the group chat?", "my invite link expired", "怎么进群？").

A Telegram invite link is made for one person and one day. A member who paid and came
back later, or lost the message, had no way in: "where is the group chat?" opened a
community thread, and "I paid but can't get into the group" went to the moderators, who
could do nothing quicker than the bot. Fresh links are limited to a few a day (each is a
way in that could be passed on) and audited.
"""

from __future__ import annotations

import re
from datetime import timedelta

from core.audit import audit, count_since
from core.context import Context
from core.membership import grants
from core.qa import help_answers
from core.qa.about_you import plain
from core.replies import AnyReply, Reply
from core.router import command

PER_DAY = 3
ACTION = "access.invite_again"


@command("invite", help_key="membership.help_invite")
async def invite_cmd(ctx: Context, args: str) -> list[AnyReply]:
    replies, _ = await _invite(ctx)
    return replies


async def _invite(ctx: Context) -> tuple[list[AnyReply], bool]:
    """/invite's replies, and whether they give the member a way in (fresh invites, or the
    day's limit reached: earlier ones still work)."""
    target = f"member:{ctx.member.id}"
    since = ctx.clock.now() - timedelta(days=1)
    if await count_since(ctx.session, ACTION, since, target=target) >= PER_DAY:
        return [Reply(ctx.t("membership.invite_limit", n=PER_DAY), ephemeral=True)], True
    invites = await grants.invite_again(ctx.session, ctx.clock, ctx.member)
    if not invites:
        return [await _none_to_send(ctx)], False
    await audit(
        ctx.session,
        ctx.clock,
        actor=f"member:{ctx.member.id}",
        action=ACTION,
        target=target,
        after={"places": [f"{i.platform}:{i.target}" for i in invites]},
        actor_member_id=ctx.member.id,
    )
    telegram = any(i.platform == "telegram" for i in invites)
    discord = any(i.platform == "discord" for i in invites)
    parts = [ctx.t("membership.invite_sent")]
    if telegram:
        parts.append(ctx.t("membership.invite_sent_telegram"))
    if discord:
        parts.append(ctx.t("membership.invite_sent_discord"))
    out: list[AnyReply] = [Reply("\n".join(parts), ephemeral=True)]
    out += invites
    return out, True


async def _none_to_send(ctx: Context) -> Reply:
    """Why no invite went out: no live plan, a plan that opens no chat, or chats on a
    platform the member has no account on yet (/link joins one)."""
    plans = [plan for _, plan in await grants.live_plans(ctx.session, ctx.member.id)]
    if not plans:
        return Reply(ctx.t("membership.invite_no_plan"), ephemeral=True)
    have = {a.platform for a in await grants.accounts(ctx.session, ctx.member.id)}
    elsewhere = sorted({platform for p in plans for platform, _, _ in grants.targets_for(p)} - have)
    if elsewhere:
        names = ", ".join(p.capitalize() for p in elsewhere)
        return Reply(ctx.t("membership.invite_link_first", platforms=names), ephemeral=True)
    return Reply(ctx.t("membership.invite_no_chats"), ephemeral=True)


_ASKED = re.compile(
    r"(?:where(?:'s| is| are) (?:the |our |your )?(?:group|group chat|chat|community chat|"
    r"telegram group|channel|discord(?: server)?|server|community)(?: link)?|"
    r"how (?:do|can) i (?:get into|join|enter|access|find) (?:the |our )?(?:group|group chat|chat|"
    r"telegram group|channel|discord(?: server)?|server)|"
    r"(?:my |the )?invite(?: link)? (?:expired|has expired|doesn'?t work|does not work|"
    r"is not working|isn'?t working|is expired|is dead)|"
    r"(?:i )?(?:lost|can'?t find|cannot find|never got|didn'?t get|did not get) (?:my |the )?"
    r"(?:invite|invite link|link to the (?:group|chat|channel|server))|"
    r"(?:send|give) me (?:a |the |my )?(?:new |fresh )?(?:invite|invite link|link to the "
    r"(?:group|chat|channel|server))|"
    r"i (?:paid|have paid|subscribed|bought a plan)(?:,| and| but)? (?:but )?(?:i )?(?:can'?t|cannot|"
    r"couldn'?t) (?:get into|join|find|access|enter) (?:the )?(?:group|chat|channel|server))|"
    r"(?:群|群聊|频道|社群|交流群|discord服务器)(?:在哪|在哪里|在哪儿|怎么进|怎么加入)|"
    r"(?:怎么|如何)(?:进群|加群|进入群|加入群|进入频道|加入频道|进频道)|"
    r"(?:我的)?(?:邀请链接|入群链接|群链接)(?:过期|失效|不能用|打不开|用不了)(?:了)?|"
    r"(?:再)?(?:发|给)我(?:一个)?(?:新的)?(?:邀请链接|入群链接|群链接)|"
    r"(?:我)?付(?:了钱|了款|过钱)(?:了)?(?:但是|可是|但)?(?:进不了群|进不去群|找不到群)",
    re.IGNORECASE,
)


def asks_for_a_way_in(text: str) -> bool:
    return _ASKED.fullmatch(plain(text)) is not None


@help_answers.lookup_first
async def way_in(ctx: Context, question: str) -> list[AnyReply] | None:
    """For a member whose plan opens chats: a fresh invite (in a private chat). Anyone else
    is left to the knowledge base (how to join) or the moderators (a payment problem), so
    this is asked before the lookup that offers problems to the moderators."""
    if not asks_for_a_way_in(question) or ctx.event.chat.kind != "private":
        return None
    replies, gives_a_way_in = await _invite(ctx)
    return replies if gives_a_way_in else None
