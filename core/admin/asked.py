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

from core.context import Context, Role
from core.qa import help_answers
from core.qa.about_you import plain
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


@help_answers.lookup
async def answer(ctx: Context, question: str) -> list[AnyReply] | None:
    if ctx.role < Role.MODERATOR:
        return None
    found = command_for(question)
    if found is None:
        return None
    if ctx.event.chat.kind != "private":  # the community's numbers are not for a group
        return [Reply(ctx.t("admin.asked_private", command=f"/{found}"))]
    name, _, args = found.partition(" ")
    return [Reply(ctx.t("admin.asked", command=f"/{found}")), *await run_command(ctx, name, args)]
