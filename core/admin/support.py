"""Members write to the moderators privately: /support, and a moderator's /reply.

"I paid but I don't have access", "can I talk to a human?" or "我付了钱但是没有权限" were
posted for the whole community to read (or offered for its forum), and the ban notice's
"contact a moderator" named no way to do it. Now /support TEXT reaches every moderator with
who is writing and what plan they hold; `/reply @member TEXT` answers in the member's
private chat, and the other moderators hear it was answered. The words themselves go to the
moderators only: the audit log (``support.requested``, ``support.replied``) is append-only
and outlives /forget. Such a problem typed as a question is offered to the moderators first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.admin.args import clean
from core.admin.confirm import action
from core.admin.confirm import ask as confirm
from core.admin.guard import admin_command, record
from core.admin.member_commands import held_text, named_member
from core.admin.members import who
from core.admin.segments import latest_plans
from core.audit import count_since
from core.context import Context, Role
from core.digest.providers import Item, register_section
from core.errors import BadArguments, DomainError
from core.i18n import translate
from core.localtime import local_time
from core.members import moderators
from core.qa import help_answers
from core.qa.about_you import plain
from core.replies import AnyReply, ButtonSpec, Reply
from core.router import button, command, run_command
from models.audit import AuditLog
from models.member import Member

TEXT_MAX = 1000
PER_DAY = 5
"""Messages a member may send the moderators in 24 hours (a flood reaches every one)."""


@command("support", help_key="help.support", usage_key="usage.support")
async def support(ctx: Context, args: str) -> list[AnyReply]:
    text = " ".join(clean(args).split())
    if not text and ctx.is_mod():  # a moderator's /support: who is waiting for an answer
        return await _waiting_list(ctx)
    if not text:
        return [Reply(ctx.t("admin.support_how"), ephemeral=True)]
    return await _send(ctx, text)


WAITING_SHOWN = 10


async def waiting(session: AsyncSession) -> list[tuple[Member, datetime, int]]:
    """Members whose /support messages no moderator has answered since, oldest first: the
    member, when they first wrote since the last answer, and how many messages."""
    answered = (
        select(AuditLog.target, func.max(AuditLog.id).label("last"))  # ids: same-instant rows
        .where(AuditLog.action == "support.replied")
        .group_by(AuditLog.target)
        .subquery()
    )
    rows = await session.execute(
        select(AuditLog.target, func.min(AuditLog.at), func.count(AuditLog.id))
        .outerjoin(answered, answered.c.target == AuditLog.target)
        .where(
            AuditLog.action == "support.requested",
            or_(answered.c.last.is_(None), AuditLog.id > answered.c.last),
        )
        .group_by(AuditLog.target)
    )
    open_ = {
        int(ref): (first, int(n))
        for target, first, n in rows
        if (ref := target.partition(":")[2]).isdecimal()
    }
    if not open_:
        return []
    members = await session.execute(
        select(Member).where(Member.id.in_(open_), Member.forgotten_at.is_(None))
    )
    by_id = {m.id: m for m in members.scalars()}
    return sorted(
        ((by_id[i], at, n) for i, (at, n) in open_.items() if i in by_id), key=lambda w: w[1]
    )


async def _waiting_list(ctx: Context) -> list[AnyReply]:
    found = await waiting(ctx.session)
    if not found:
        return [Reply(ctx.t("admin.support_waiting_none"))]
    lines = [ctx.t("admin.support_waiting_header", n=len(found))]
    for member, at, n in found[:WAITING_SHOWN]:
        when = local_time(at, ctx.timezone)
        lines.append(ctx.t("admin.support_waiting_line", who=who(member), when=when, n=n))
    return [Reply("\n".join(lines), ephemeral=True)]


async def waiting_section(
    session: AsyncSession, member: Member, now: datetime, locale: str
) -> Sequence[Item]:
    """One line of a moderator's digest: members waiting for an answer to /support."""
    n = len(await waiting(session))
    return [Item("staff", 0, translate(locale, "digest.staff_support", n=n))] if n else []


register_section("support", waiting_section, staff=True)


async def _send(ctx: Context, text: str) -> list[AnyReply]:
    since = ctx.clock.now() - timedelta(days=1)
    target = f"member:{ctx.member.id}"
    if await count_since(ctx.session, "support.requested", since, target=target) >= PER_DAY:
        raise DomainError("admin.support_too_many", n=PER_DAY)
    cut = len(text) > TEXT_MAX
    text = text[:TEXT_MAX]
    await record(ctx, "support.requested", f"member:{ctx.member.id}")
    held = (await latest_plans(ctx.session, [ctx.member.id])).get(ctx.member.id)
    out: list[AnyReply] = [Reply(ctx.t("admin.support_sent"), ephemeral=True)]
    if cut:
        out.append(Reply(ctx.t("admin.support_cut", limit=TEXT_MAX), ephemeral=True))
    for mod in await moderators(ctx.session, ctx.services):
        if mod.id == ctx.member.id:
            continue
        notice = translate(
            mod.locale,
            "admin.support_to_mods",
            who=who(ctx.member),
            plan=held_text(mod.locale, held),
            text=text,
            id=ctx.member.id,
        )
        card = ButtonSpec(
            translate(mod.locale, "admin.support_btn_card"), ctx.sign("supc", ctx.member.id)
        )
        out.append(Reply(notice, [[card]], member_id=mod.id))
    return out


@button("supc", role=Role.MODERATOR)
async def member_card(ctx: Context, parts: list[str]) -> list[AnyReply]:
    """The writer's /member card: plan, payments, a ban, at a tap."""
    if len(parts) != 1 or not parts[0].isdecimal():
        raise DomainError("errors.button_expired")
    return await run_command(ctx, "member", f"#{parts[0]}")


@admin_command("reply", usage_key="usage.reply")
async def reply_cmd(ctx: Context, args: str) -> list[AnyReply]:
    target, rest = await named_member(ctx, "reply", args)
    text = " ".join(rest.split())[:TEXT_MAX]
    if not text:
        raise BadArguments("errors.usage", usage=ctx.t("usage.reply"))
    if target.forgotten_at is not None:
        raise DomainError("admin.support_gone")
    await record(ctx, "support.replied", f"member:{target.id}")
    out: list[AnyReply] = [
        Reply(translate(target.locale, "admin.support_answer", text=text), member_id=target.id),
        Reply(ctx.t("admin.support_replied", who=who(target))),
    ]
    for mod in await moderators(ctx.session, ctx.services):
        if mod.id not in (ctx.member.id, target.id):
            out.append(
                Reply(
                    translate(
                        mod.locale,
                        "admin.support_replied_by",
                        mod=ctx.member.display_name,
                        who=who(target),
                    ),
                    member_id=mod.id,
                )
            )
    return out


_PROBLEM = re.compile(
    r"\b(?:i (?:have )?(?:paid|was charged|got charged|bought|subscribed)|charged twice|"
    r"double charged|payment (?:failed|went through|didn'?t|did not|is pending)|refund didn'?t|"
    r"(?:no|don'?t have|do not have|lost|lose|can'?t get|cannot get|without) (?:any )?access|"
    r"can'?t (?:open|access|see|join|get into) (?:the |my |any )?(?:lessons?|courses?|group|"
    r"channel|chat|server|content|materials?)|"
    r"(?:forgot|lost|can'?t find|cannot find) (?:my |the )?(?:code|voucher|coupon|gift code|"
    r"order code|receipt)|(?:card|payment) (?:got |get |gets |was |keeps (?:getting )?|is )?(?:declined|"
    r"rejected|refused)|payment (?:keeps )?fail(?:s|ed|ing)|can'?t (?:pay|complete (?:the |my )?"
    r"(?:payment|purchase|checkout))|(?:code|voucher|coupon) (?:says|is|shows|was)(?: as)? "
    r"(?:invalid|expired|not valid|already used|used)|"
    r"(?:removed|kicked|banned|thrown|locked) (?:me )?(?:from|out of) (?:the |this |my )?(?:group|"
    r"channel|chat|server|community|discord|telegram)|why (?:was|am|did|have) i (?:been |get |got )?"
    r"(?:removed|kicked|banned|muted|blocked)|everything is locked|"
    r"(?:can|could) (?:i|you) (?:get|have|give me|extend (?:it|my (?:trial|membership)) (?:by|for))"
    r" (?:a few|some|a couple(?: of)?|two|three|\d+) (?:more |extra )?days|extend my (?:trial|"
    r"membership|subscription|access)|"
    r"(?:vat|tax|tax id|ein|gst) (?:number|no|id)|invoice (?:for|with) (?:our |my )?company|"
    r"(?:gives|shows|returns|throws) (?:a |an )?(?:404|not found)|dead link|broken link|"
    r"(?:can'?t|cannot|don'?t|dont|do not|still don'?t) see (?:the |any |a )?#?[\w-]+ "
    r"(?:channel|group|chat|server|role)|"
    r"(?:can|could) (?:a |an |the |one of the )?(?:mods?|moderators?|admins?) (?:please )?(?:look|check|"
    r"take a look|have a look)|you told me\b[^?!\n]{0,80}\b(?:it doesn'?t|it does not|it isn'?t|"
    r"wrong|incorrect|not true)|(?:your|the bot'?s?) answer (?:was|is) (?:wrong|incorrect)|"
    r"(?:found|there is|there's|report) a bug|is broken|(?:link|video|page|lesson) "
    r"(?:is )?(?:broken|dead|not working|doesn'?t work|does not work))\b"
    r"|被(?:踢|移|请)(?:出|出了)?(?:群|频道|服务器|社区)?了?|被(?:禁言|封号|拉黑)|(?:试用|会员)(?:能不能|可以|能)?(?:延长|延期)"
    r"|税号|发票抬头|答错了|你(?:说|给)的(?:答案)?(?:不对|是错的|错了)|链接(?:打不开了?|404)|付了钱|付了款|已付款|已经付款|扣了钱|扣了费|重复扣费|没有权限|没权限|无法访问|进不去|打不开|"
    r"链接(?:坏了|失效|打不开)|有bug|有个bug|发现(?:了)?(?:一个)?bug|"
    r"(?:忘了|忘记了?|丢了|找不到)(?:我的)?(?:兑换码|优惠码|礼品码|订单号)|"
    r"(?:银行卡|信用卡|卡)被拒|(?:支付|付款)(?:一直|总是|老是)?(?:失败|不成功|不了)|付不了(?:款|钱)?|"
    r"(?:兑换码|优惠码|礼品码)(?:显示|提示|说)?(?:已|已经)?(?:过期|无效|失效|被用过|用不了|不能用)",
    re.IGNORECASE,
)
_WANTS_PERSON = re.compile(
    r"\b(?:talk|speak|chat|write) (?:to|with) (?:a |an |the )?(?:human|person|real person|"
    r"moderators?|mods?|admins?|administrators?|support|staff|owner|someone)\b|"
    r"\bcontact (?:a |an |the )?(?:moderators?|mods?|admins?|administrators?|support|staff|"
    r"owner|team)\b|\b(?:customer )?support team\b"
    r"|\bwho (?:actually )?(?:fixes|handles|deals with|looks at) (?:that|this|it|these)\b"
    r"|\b(?:where|how) (?:do|should|can) i report (?:it|this|that|a (?:bug|problem|broken link|mistake))\b"
    r"|\b(?:is there|are there) (?:a |an |any )?(?:real )?(?:humans?|person|people)"
    r"(?: here| around| available| there)?(?= or\b|[,.?!]|$)"
    r"|\b(?:am i|are we) (?:talking|chatting|speaking) (?:to|with) (?:a |an )?(?:real )?"
    r"(?:robot|bot|machine|ai|human|person)\b|\bare you (?:a |an )?(?:real )?(?:human|person|"
    r"robot|machine|ai)\b"
    r"|人工客服|联系(?:一下)?(?:管理员|客服|人工|工作人员|群主)|找(?:管理员|客服|人工)|"
    r"(?:有|是)(?:没有)?真人|真人客服|你是(?:不是)?(?:机器人|AI|人工智能)|是不是机器人",
    re.IGNORECASE,
)
_FED_UP = re.compile(
    r"\b(?:(?:this bot|the bot|you)(?:'re|'s| are| is) (?:so |really |totally |"
    r"completely |just )?(?:useless|stupid|dumb|worthless|garbage|trash|rubbish|terrible|awful|"
    r"no help|not helpful|not useful)|(?:useless|stupid|dumb) (?:bot|robot|thing)|"
    r"you (?:never|don'?t|do not|didn'?t|did not|can'?t|cannot) (?:understand|get it|help me|"
    r"answer)|that(?:'s| is| was) not what i (?:asked|meant|wanted)|"
    r"(?:nothing|none of (?:this|that|it)) (?:helped|helps|works|worked)|what am i (?:even )?"
    r"paying for|(?:the )?(?:forum|community|group|chat) is (?:dead|useless|empty)|waste of "
    r"(?:money|time)|(?:my |half (?:of )?my |none of my |most of my )?questions? (?:never|don'?t|do "
    r"not|rarely) (?:get|gets) (?:any )?(?:answers?|answered|replies)|(?:my question|i (?:posted|asked)"
    r"|i put)[^?!\n]{0,80}\b(?:not (?:a single|one) (?:person|soul|member)|nobody|no one|no-one) "
    r"(?:has )?(?:answered|replied))\b"
    r"|什么都不(?:会|懂)|(?:太|真|好)(?:垃圾|没用|笨|蠢)|听不懂(?:人话|我)|答非所问|没用的机器人|"
    r"不是我(?:要|想)?问的|服务太差|(?:问题)?(?:发了|问了)[\w]{0,4}(?:都|也)?没人(?:回|理|回答)|白(?:花|交)(?:了)?钱",
    re.IGNORECASE,
)


_VAGUE = re.compile(
    r"(?:it|this|that|the bot|the link|the command|the button|the payment|nothing|something)?"
    r"(?:'s| is)? ?(?:(?:does ?n'?o?t|does not|do ?n'?t|is ?n'?t|is not|not) (?:work|working|"
    r"load|loading|open|opening)|broken|not working|stopped working)(?: (?:again|anymore|any more|"
    r"for me|at all))*"
    r"|i have a problem|(?:there'?s|there is) a problem|"
    r"something(?:'s| is) wrong|error"
    r"|(?:这个|它)?(?:不好用|用不了|不能用|不管用|坏了|不工作|没反应|打不开|出错了?|报错了?)|有问题|出问题了"
)
"""A problem with nothing to go on ("it doesnt work", "不好用"): asked what, not posted."""


def problem_kind(text: str) -> str | None:
    """ "problem": a payment, access or broken-content problem, for the moderators, not the
    forum; "person": asking how to reach a moderator, or whether a person is there at all;
    "fed_up": the member says the bot is no help ("this bot is useless", "答非所问"), or the
    forum ("half my questions never get answered, what am i paying for"), which opened a
    public thread with the complaint; "vague": a problem with nothing said about it ("it
    doesnt work", "不好用"), which opened a thread; None for anything else."""
    if _WANTS_PERSON.search(text):
        return "person"
    if _VAGUE.fullmatch(plain(text)):
        return "vague"
    if _FED_UP.search(text):
        return "fed_up"
    if _PROBLEM.search(text):
        return "problem"
    return None


@help_answers.lookup
async def for_the_moderators(ctx: Context, question: str) -> list[AnyReply] | None:
    kind = problem_kind(question)
    if kind is None or getattr(ctx.event, "name", None) == "ask":  # /ask: for the forum, asked so
        return None
    if kind == "person":
        return [Reply(ctx.t("admin.support_how"))]
    if kind == "vague":
        return [Reply(ctx.t("admin.support_vague"))]
    if kind == "fed_up":  # said of the bot: a person, and how to be understood
        return [Reply(ctx.t("admin.support_sorry") + "\n" + ctx.t("admin.support_how"))]
    preview = ctx.t("admin.support_offer", text=question[:300])
    return await confirm(ctx, "support_send", {"text": question}, preview)


_WHO_MODS = re.compile(
    r"(?:who (?:are|is|'s) (?:the |our |your |this group's |the community's )?(?:moderators?|mods?|"
    r"admins?|administrators?|owners?|staff|team)(?: here| of this (?:group|community))?|"
    r"(?:list|show me) (?:the )?(?:moderators|mods|admins|staff))|"
    r"(?:这里|这个群|社区|群里)?(?:的)?(?:管理员|群主|版主|客服)是谁|谁是(?:这里的|群里的|社区的)?(?:管理员|群主|版主)",
    re.IGNORECASE,
)


@help_answers.lookup
async def who_moderates(ctx: Context, question: str) -> list[AnyReply] | None:
    """ "Who are the moderators?", "谁是管理员？": their names, and how to write to them (it
    opened a thread, or got the answer on reporting a message)."""
    if not _WHO_MODS.fullmatch(plain(question)):
        return None
    names = [
        m.display_name for m in await moderators(ctx.session, ctx.services) if not m.forgotten_at
    ]
    if not names:
        return [Reply(ctx.t("admin.support_how"))]
    return [
        Reply(
            ctx.t("admin.staff_are", names=("、" if ctx.locale == "zh-CN" else ", ").join(names))
            + "\n"
            + ctx.t("admin.support_how")
        )
    ]


@action("support_send", role=Role.MEMBER)
async def _confirmed(ctx: Context, params: dict[str, Any]) -> list[AnyReply]:
    return await _send(ctx, " ".join(str(params.get("text", "")).split()))
