"""A moderator's questions about the community, answered with the command that shows it:
"how many members do we have?", "how much money did we make this month?", "这个月收入多少？"
(/stats), "who is waiting for an answer?" (/support), "which questions are unanswered?"
(/kb waiting), "who joined this week?", "who is banned?", "show me the newest members"
(/members), "any reports?", "谁举报了什么" (/audit member.report), "who are the top
contributors?" (/leaderboard).

Asked in a private chat, each of these opened a thread in the community's public forum,
where members read a moderator asking for the revenue. Only moderators' whole questions of
these shapes are taken; a member asking the same still goes to the knowledge base.
"""

from __future__ import annotations

import re

from core.admin import membership_bridge, staff_words
from core.context import Context, Role
from core.errors import DomainError
from core.members import find_member
from core.qa import help_answers
from core.qa.about_you import plain
from core.qa.help_intents import names_a_tool
from core.replies import AnyReply, Reply
from core.router import run_command

_PERIOD_EN = r"(?: (?P<p>this week|this month|this year|today|in total|so far|overall))?"
_PERIOD_ZH = r"(?P<p>这个月|本月|这周|本周|今年|今天)?"
_WHO_EN = r"(?:members|people|users|subscribers|paying members|paid members|customers)"
_STATS_EN = [
    rf"how many {_WHO_EN} (?:do we have|are there|have we got|did we get|joined|signed up|paid|"
    rf"are paying|are active|cancell?ed|left|churned|quit|unsubscribed|renewed|stayed|"
    rf"(?:have )?(?:cancell?ed|left|churned)){_PERIOD_EN}",
    rf"how many {_WHO_EN} are (?:on|in|using) (?:a |the )?(?:free )?trials?{_PERIOD_EN}",
    rf"how many (?:cancell?ations|trials|refunds|sign ?-?ups|renewals|new members|payments)"
    rf"(?: (?:did we (?:have|get)|do we have|have we had|were there|are there))?{_PERIOD_EN}",
    rf"how much (?:money|revenue|income) (?:did we make|have we made|did we earn|came in|"
    rf"do we make|are we making){_PERIOD_EN}",
    rf"what(?:'s| is| was) (?:our|the) (?:revenue|income|mrr|churn|retention){_PERIOD_EN}",
    rf"(?:show me |give me |what are |can i see )?(?:the |our )?(?:community )?(?:stats|statistics|"
    rf"numbers|metrics|kpis){_PERIOD_EN}",
    r"how(?:'s| is) the community doing",
]
_STATS_ZH = [
    rf"{_PERIOD_ZH}(?:我们|社区)?(?:现在)?(?:一共)?有多少(?:会员|成员|人|用户|付费会员)",
    rf"{_PERIOD_ZH}(?:有)?多少(?:人|会员|成员|用户)(?:在)?(?:取消|退订|退出|离开|流失|续费|试用)(?:了)?",
    rf"{_PERIOD_ZH}(?:我们|社区)?(?:赚了|收入|营收|进账)(?:了)?(?:多少|怎么样)(?:钱)?",
    rf"{_PERIOD_ZH}(?:我们|社区)?(?:的)?(?:统计|数据|统计数据)(?:怎么样)?",
    r"(?:看看|查看|给我看)(?:一下)?(?:社区)?(?:的)?(?:统计|数据|统计数据)",
]
_SUPPORT_EN = [
    r"who(?:'s| is) (?:still )?waiting (?:for an answer|for a reply|on us|on a moderator)",
    r"(?:are there )?any (?:support )?(?:requests|messages|tickets)(?: waiting| for us| for me)?",
    r"who wrote to (?:the )?(?:moderators|us|support)",
]
_SUPPORT_ZH = [
    r"(?:谁|有谁|有人)(?:还)?在等(?:我们)?(?:回复|回答|答复)",
    r"有(?:没有)?(?:新的)?(?:支持)?(?:请求|工单|私信)",
]
_WAITING_EN = [
    r"(?:which|what) questions (?:are|have gone|went|are still) (?:unanswered|without an answer|"
    r"not answered|waiting)",
    r"(?:are there )?any (?:unanswered|open|stale) (?:questions|threads)",
    r"what questions (?:need|are waiting for) an answer",
]
_WAITING_ZH = [
    r"(?:哪些|有哪些|有没有)(?:问题|帖子)(?:还)?(?:没有人回答|没人回答|没有回答|没回答)",
    r"有(?:没有)?(?:没人回答|没有回答)的(?:问题|帖子)",
]
_JOINED_EN = [r"who (?:joined|signed up|is new)" + _PERIOD_EN, r"(?:any )?new members" + _PERIOD_EN]
_NEWEST_EN = [
    r"(?:show me |list |who are |give me )?(?:the |our )?(?:newest|latest|most recent|recent) "
    r"(?:members|people|sign ?-?ups|joiners)",
]
_NEWEST_ZH = [r"(?:看看|查看|给我看)?(?:一下)?最(?:新|近)(?:加入)?的(?:会员|成员)"]
_REPORTS_EN = [
    r"who (?:reported|has reported|got reported)(?: (?:messages|something|anything|anyone))?"
    + _PERIOD_EN,
    r"(?:are there |were there |any )(?:new )?(?:reports|reported messages)" + _PERIOD_EN,
    r"what (?:was|has been|got|were) reported" + _PERIOD_EN,
    r"(?:show me |list )(?:the )?(?:reports|reported messages)",
]
_REPORTS_ZH = [
    _PERIOD_ZH + r"(?:有)?(?:没有)?(?:人|谁)?举报(?:了)?(?:什么|谁|哪些消息)?",
    r"(?:看看|查看)?(?:最近)?(?:的)?举报(?:记录|列表)?",
]
_JOINED_ZH = [
    _PERIOD_ZH + r"(?:有)?(?:谁|哪些人)(?:加入|进来|报名)了?",
    _PERIOD_ZH + r"(?:的)?新(?:会员|成员)",
]
_BANNED_EN = [
    r"who(?:'s| is) banned",
    r"(?:which|what) members are banned",
    r"list (?:the )?banned(?: members)?",
]
_BANNED_ZH = [r"(?:谁|哪些人|哪些会员)被(?:封|封禁|禁言)了?"]
_TOP_EN = [
    r"who(?:'s| is| are) (?:the |our )?(?:top|most active|best|biggest) (?:contributors?|members?|"
    r"answerers?|helpers?|experts?)" + _PERIOD_EN,
    r"who (?:answers|helps|contributes|posts) (?:the )?most" + _PERIOD_EN,
]
_TOP_ZH = [_PERIOD_ZH + r"(?:谁|哪些人|哪些会员)(?:最活跃|回答(?:得)?最多|贡献最(?:多|大))"]

_ASKED: list[tuple[re.Pattern[str], str]] = [
    *((re.compile(p), "stats") for p in _STATS_EN + _STATS_ZH),
    *((re.compile(p), "support") for p in _SUPPORT_EN + _SUPPORT_ZH),
    *((re.compile(p), "kb waiting") for p in _WAITING_EN + _WAITING_ZH),
    *((re.compile(p), "members joined") for p in _JOINED_EN + _JOINED_ZH),
    *((re.compile(p), "members state=banned") for p in _BANNED_EN + _BANNED_ZH),
    *((re.compile(p), "members") for p in _NEWEST_EN + _NEWEST_ZH),
    *((re.compile(p), "leaderboard") for p in _TOP_EN + _TOP_ZH),
    *((re.compile(p), "audit member.report") for p in _REPORTS_EN + _REPORTS_ZH),
]
_DAYS = {
    "this week": 7,
    "本周": 7,
    "这周": 7,
    "this month": 30,
    "本月": 30,
    "这个月": 30,
    "this year": 365,
    "今年": 365,
    "today": 1,
    "今天": 1,
}
"""The window a question names, in days back from now (as /stats and joined= count)."""


_LOOSE: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(
            r"\b(?:export|download)\b[^.?!]{0,20}\b(?:stats|statistics|numbers|metrics)\b|"
            r"\b(?:stats|statistics)\b[^.?!]{0,12}\b(?:as |in |to )?(?:a )?(?:csv|spreadsheet|"
            r"excel)\b|导出(?:统计|数据)",
            re.IGNORECASE,
        ),
        "stats csv",
    ),
    (
        re.compile(
            r"\b(?:has ?n'?t|have ?n'?t|did ?n'?t|not) (?:yet )?paid\b|\bpayments? (?:fail|failed|"
            r"failing|bounced|declined)|\bpast[ -]due\b|\boverdue\b|\bin grace\b|没(?:有)?付款|"
            r"付款失败|扣款失败|欠费",
            re.IGNORECASE,
        ),
        "members state=past_due",
    ),
    (
        re.compile(
            r"\b(?:not renewing|won'?t renew|turned off (?:auto-?)?renew\w*)\b|"
            r"(?:到期|过期)[^。？！?!]{0,10}(?:没|不|未)(?:续费|续订)",
            re.IGNORECASE,
        ),
        "members state=cancelled",
    ),
    (
        re.compile(r"\breports?\b|\breported\b|举报", re.IGNORECASE),
        "audit member.report",
    ),
    (
        re.compile(
            r"\bunanswered\b|\bwithout (?:an )?answers?\b|\bno (?:answers?|replies)\b|"
            r"\bstale\b[^.?!]{0,12}\b(?:threads?|questions?)\b|\b(?:threads?|questions?) "
            r"(?:are|is|that are|gone) stale\b|冷帖|没人理的(?:帖子|问题)|"
            r"\b(?:nobody|no one|no-one) (?:has )?answered\b|没人回答|"
            r"没有(?:人)?回答|未回答|没人回复",
            re.IGNORECASE,
        ),
        "kb waiting",
    ),
    (
        re.compile(r"\bleaderboard\b|\btop \d+ (?:members|contributors)\b|排行榜", re.IGNORECASE),
        "leaderboard",
    ),
    (
        re.compile(
            r"\b(?:revenue|income|mrr|earn(?:ed|ings)?|conversion|converted|convert|churn(?:ed)?|"
            r"cancell?(?:ed|ations?)|active (?:users|members)|new members|sign-?ups)\b|"
            r"\bhow many (?:new )?(?:members|people|users|subscribers|trials)\b|收入|营收|赚了|"
            r"转化|活跃(?:用户|会员|成员)|(?:多少|几个)(?:新)?(?:会员|用户|人|成员)|流失|退订",
            re.IGNORECASE,
        ),
        "stats",
    ),
    (
        re.compile(
            r"\bdigests?\b[^.?!]{0,30}\b(?:open rates?|opens|clicks?|doing|engagement|performing)\b"
            r"|(?:摘要|周报)[^。？！?!]{0,6}(?:参与度|打开率|点击)|\bgifts? vs\b|\bfrom gifts\b",
            re.IGNORECASE,
        ),
        "stats",
    ),
]
"""A moderator's longer question that names what it is about ("who hasn't paid this month or
had their payment fail", "这个月一共收入多少钱", "any open reports I haven't looked at yet?"):
the command that lists it. Each was offered for the community's forum."""
_NAMED_MEMBER = (
    re.compile(r"(?<![\w@])(@[A-Za-z0-9_.]{2,64})"),
    re.compile(r"\b(?:member|user|person) (?:called|named) ([\w.\-]{2,64})", re.IGNORECASE),
    re.compile(r"(?:用户|会员|成员)\s+(\S{1,32}?)\s*(?:的|$)"),
)
_JOINED_IN = re.compile(
    r"\b(?:joined|signed up|new members?)\b[^.?!]{0,20}\b(?:in )?(?:the )?(?:last|past) (?P<n>\d{1,4}) "
    r"days?\b|(?:最近|过去)(?P<zn>\d{1,4})天[^。？！?!]{0,8}(?:加入|注册|新)",
    re.IGNORECASE,
)
_LOOKS_UP = re.compile(
    r"\b(?:look up|lookup|look at|check|find|pull up|show me|tell me about|what about)\b|"
    r"查一下|查查|查询|看看|看一下|帮我查",
    re.IGNORECASE,
)


_LOOKUP_NAME = re.compile(
    r"^(?:(?:can|could) you |please )?(?:look up|lookup|show me|pull up|find|check on|tell me "
    r"about)\s+@?(?P<name>[\w.\-]{2,64})(?:'s (?:account|profile|membership|plan|status|"
    r"payments?))?(?: please)?\s*[?.!]*$|"
    r"^(?:帮我)?(?:查一下|查查|看看|看一下|查询)\s*@?(?P<zname>[\w.\-]{2,32}?)\s*(?:的(?:会员|资料|"
    r"情况|状态|付款记录))?[？?]*$",
    re.IGNORECASE,
)
"""A member named bare ("show me alice", "查一下小林"): /member, when a member has that name
(it was offered for the public forum)."""
_ON_PLAN = re.compile(
    r"^(?:who(?:'s| is| are)|which members are|list (?:the )?members) (?:on|in|subscribed to) "
    r"(?:the |our )?(?P<plan>[\w-]{2,40}) (?:plan|membership|subscription)s?\s*[?.!]*$|"
    r"^(?:哪些人|谁|哪些会员)(?:是|在用|买了|开通了)(?P<zplan>\S{1,12}?)(?:的)?[？?]*$",
    re.IGNORECASE,
)
"""Members of one plan ("who is on the monthly plan?" got the members' answer on choosing a
plan, with Buy buttons): /members plan=CODE, when the word names a plan."""


async def _named_in(ctx: Context, question: str) -> str | None:
    said = question.strip()
    if (m := _LOOKUP_NAME.match(said)) is not None:
        name = m["name"] or m["zname"]
        try:
            await find_member(ctx.session, name)
        except DomainError:
            return None
        return f"member {name}"
    if (m := _ON_PLAN.match(said)) is not None:
        try:  # named as moderators' commands name a plan (its code or title)
            plan = await membership_bridge.function("plan_named")(
                ctx.session, m["plan"] or m["zplan"]
            )
        except DomainError:
            return None
        return f"members plan={plan.code}"
    return None


def loose_command_for(question: str) -> str | None:
    """The command a moderator's question names in words, when it is not of one of the
    exact shapes: a member looked up by handle or name ("can you look up the member called
    @dan_k", "帮我查一下用户 小林 的会员状态") with /member, else what it is about (`_LOOSE`)."""
    if (m := _JOINED_IN.search(question)) is not None:  # "everyone who joined in the last 7 days"
        days = int(m["n"] or m["zn"] or 7)
        return f"members joined={min(max(days, 1), 3660)}"
    if _LOOKS_UP.search(question):
        for pattern in _NAMED_MEMBER:
            if (m := pattern.search(question)) is not None:
                return f"member {m.group(1)}"
    return next((cmd for pattern, cmd in _LOOSE if pattern.search(question)), None)


def command_for(question: str) -> str | None:
    """The command (with its arguments) whose reply answers a moderator's question about
    the community; None for any other."""
    said = plain(question)
    for pattern, command in _ASKED:
        m = pattern.fullmatch(said)
        if m is None:
            continue
        days = _DAYS.get(m.groupdict().get("p") or "")
        if command == "stats":
            return f"stats {days}" if days else "stats"
        if command == "members joined":
            return f"members joined={days or 7}"
        return command
    return None


_ENDING = re.compile(
    r"\b(?:whose|who'?s|whos|which (?:members'?|people'?s?|users'?)?|members? (?:whose|with))\s*"
    r"(?:plans?|memberships?|subscriptions?)?\s*(?:ends?|expires?|runs? out|lapses?|are ending|"
    r"is ending|ending)\b[^.?!]{0,20}\b(?:this week|soon|in the next (?P<n>\d{1,3}) days|next "
    r"(?P<w>week))\b|(?:本周|这周|这个星期|(?P<zn>\d{1,3})天内|近期|快要?)到期的(?:会员|成员|用户)",
    re.IGNORECASE,
)


_GIFTS = re.compile(
    r"\b(?:gifts?|team seats?)\b[^.?!]{0,40}\b(?:bought|sold|purchased|redeemed|this month|how many)"
    r"\b|\bwho (?:bought|purchased|has bought) (?:any )?(?:gifts?|team seats?|seats)\b"
    r"|(?:团队席位|礼物|团购)[^。？！?!]{0,10}(?:几单|多少|兑换|卖了|买了)",
    re.IGNORECASE,
)
_INVOICE = re.compile(
    r"\b(?:asking|asks|asked|wants?|needs?|requested|requests?) (?:for )?(?:an? |the )?invoice\b"
    r"|\binvoice (?:for|with) (?:their|his|her|the|a|our) |要[^。？！?!]{0,10}发票|开(?:一张|个)?发票|发票抬头",
    re.IGNORECASE,
)
"""An invoice a member asked the moderator for (a moderator's own "where are the invoices of
my payments?" is their question)."""
_FAQ = re.compile(
    r"(?:\b(?:add|create|new)\b (?:a |an |this |the )?(?:faq|kb entry|knowledge base entry|"
    r"answer)|(?:添加|新增|加一个|加个|增加)(?:一[个条])?(?:常见问题|FAQ|faq|问答))[^\n]*?"
    r"(?:\bQ\b|问|question)\s*[:：]?\s*[\"“「](?P<q>[^\"”」]{3,200})[\"”」][\s,，;；]*"
    r"(?:\bA\b|答|answer)\s*[:：]?\s*[\"“「](?P<a>[^\"”」]{3,2000})[\"”」]",
    re.IGNORECASE,
)


@help_answers.lookup_first
async def asked_first(ctx: Context, question: str) -> list[AnyReply] | None:
    """Before a member's answer could take them: "who's plan ends this week", "本周到期的会员
    有哪些" (it got a member's answer about their own plan) are /members ends=N; "who bought
    gifts or team seats this month?", "这个月团队席位买了几单？" (the members' answer on gifts)
    are /codes, which marks each code a member bought and how much of it was used; an invoice
    a member needs is said how to write (it was held for the forum); "add a FAQ: Q "…" A "…"",
    "添加常见问题：问“…” 答“…”" (one got /stats, read as "how many people") are told the /kb add
    that adds it, to send as written."""
    if ctx.role < Role.MODERATOR or ctx.event.chat.kind != "private":
        return None
    if _INVOICE.search(question):
        return [Reply(ctx.t("admin.invoice_said"))]
    if (faq := _FAQ.search(question)) is not None:
        command = f"/kb add {faq.group('q').strip()} -> {faq.group('a').strip()}"
        return [Reply(ctx.t("admin.faq_said", command=command))]
    if (m := _ENDING.search(question)) is not None:
        days = int(m.group("n") or m.group("zn") or (14 if m.group("w") else 7))
        found = f"members ends={days}"
    elif _GIFTS.search(question):
        found = "codes"
    else:
        return None
    name, _, args = found.partition(" ")
    return [Reply(ctx.t("admin.asked", command=f"/{found}")), *await run_command(ctx, name, args)]


@help_answers.lookup
async def answer(ctx: Context, question: str) -> list[AnyReply] | None:
    if ctx.role < Role.MODERATOR:
        return None
    key = "admin.asked"
    found = command_for(question)
    if found is None and ctx.event.chat.kind == "private":
        found = await _named_in(ctx, question)
    if found is None and not names_a_tool(question) and not staff_words.commands_for(question):
        # loosely: not a course question ("churn in pandas"), nor a request to do something
        found, key = loose_command_for(question), "admin.asked_loose"
    if found is None:
        return None
    if ctx.event.chat.kind != "private":  # the community's numbers are not for a group
        return [Reply(ctx.t("admin.asked_private", command=f"/{found}"))]
    name, _, args = found.partition(" ")
    return [Reply(ctx.t(key, command=f"/{found}")), *await run_command(ctx, name, args)]
