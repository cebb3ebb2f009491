"""What the community is, in its own numbers: "hi! just found you through a reddit thread,
what exactly is this?", "how is this different from datacamp or just doing coursera for
free", "is it self paced or are there live classes i have to show up to", "how many people
are actually active here lol" each opened a public thread, asking members to sell the
community to a visitor. The answer is the same card: what it offers, how it is studied, and
how many are here and active, counted now."""

from __future__ import annotations

import re
import statistics
from datetime import timedelta

from sqlalchemy import distinct, func, select

from core.context import Context
from core.qa import help_answers
from core.replies import AnyReply, Reply
from models.admin import CommunityEvent
from models.catalog import Course
from models.interaction import Interaction
from models.member import Member
from models.qa import Question

_ASKED = re.compile(
    r"\bwhat (?:exactly )?is (?:this|it)(?: (?:place|bot|community|group|server|thing))?\s*[?!.]*\s*$"
    r"|\bwhat(?:'s| is) this (?:place|bot|community|group|server) (?:about|for)\b"
    r"|\bhow (?:is|are) (?:this|you|it) (?:any )?different from\b|\bwhy (?:should i )?(?:pay|join)"
    r"\b[^.?!]{0,40}\b(?:instead of|when|if)\b[^.?!]{0,30}\b(?:free|coursera|udemy|datacamp|youtube)"
    r"|\b(?:is it|are (?:the )?(?:courses|classes|lessons)) self[- ]paced\b"
    r"|\blive classes i (?:have|need) to\b|\bdo i have to (?:show up|attend|be online)\b"
    r"|\bhow many (?:people|members|users) (?:are|is) (?:actually |really |even )?(?:active|here|"
    r"in (?:this|the) (?:community|group|server))\b|\bis (?:this|the) (?:community|group|server|"
    r"forum) (?:active|dead|alive)\b"
    r"|这是(?:个)?什么(?:地方|社区|群|机器人)?[？?]?$|你们(?:这里)?(?:是)?(?:做什么|干什么)的|"
    r"(?:和|跟|比)(?:网易云课堂|慕课|B站|coursera|datacamp|udemy)[^。？！?!]{0,6}(?:有什么)?(?:区别|不同|好在哪)"
    r"|(?:是)?自学(?:的)?还是(?:有)?直播|(?:有|多少)(?:人|成员)(?:活跃|在用)|社区(?:还)?活跃吗",
    re.IGNORECASE,
)
ACTIVE_DAYS = 7


@help_answers.lookup
async def about_the_community(ctx: Context, question: str) -> list[AnyReply] | None:
    if not _ASKED.search(question):
        return None
    s, now = ctx.session, ctx.clock.now()
    members = (
        await s.execute(select(func.count(Member.id)).where(Member.forgotten_at.is_(None)))
    ).scalar_one()
    active = (
        await s.execute(
            select(func.count(distinct(Interaction.member_id))).where(
                Interaction.at >= now - timedelta(days=ACTIVE_DAYS)
            )
        )
    ).scalar_one()
    courses = (
        await s.execute(select(func.count(Course.id)).where(Course.hidden.is_(False)))
    ).scalar_one()
    answered = (
        await s.execute(
            select(func.count(Question.id)).where(
                Question.status == "answered", Question.created_at >= now - timedelta(days=30)
            )
        )
    ).scalar_one()
    upcoming = (
        await s.execute(
            select(func.count(CommunityEvent.id)).where(
                CommunityEvent.starts_at > now, CommunityEvent.cancelled_at.is_(None)
            )
        )
    ).scalar_one()
    lines = [
        ctx.t("common.about_what", community=ctx.settings.community_name, courses=courses),
        ctx.t("common.about_pace", events=upcoming)
        if upcoming
        else ctx.t("common.about_pace_none"),
        ctx.t(
            "common.about_numbers",
            members=members,
            active=active,
            days=ACTIVE_DAYS,
            answered=answered,
        ),
        ctx.t("common.about_try"),
    ]
    return [Reply("\n".join(lines))]


_RESPONSE = re.compile(
    r"\bhow (?:long|quickly|fast|soon)\b[^.?!]{0,40}\b(?:answer\w*|repl\w*|respon\w*|get help)\b"
    r"|\bhow long (?:until|till|before) (?:someone|somebody|anyone|people)\b"
    r"|(?:一般|平均|大概)?多久(?:会|能|才)?有人(?:回|回答|回复|解答)|(?:回复|回答)(?:速度|要多久|一般多久)",
    re.IGNORECASE,
)
RESPONSE_DAYS = 30


@help_answers.lookup
async def how_soon_answered(ctx: Context, question: str) -> list[AnyReply] | None:
    """ "那我在论坛发帖的话一般多久有人回？": the median time to a first answer, counted over
    the last 30 days, and how many got one (it opened a thread, asking members to guess)."""
    if not _RESPONSE.search(question):
        return None
    from core.admin.analytics import first_answers

    now = ctx.clock.now()
    asked, delays = await first_answers(ctx.session, now - timedelta(days=RESPONSE_DAYS), now)
    if not delays:
        return [Reply(ctx.t("common.response_none", days=RESPONSE_DAYS))]
    median = statistics.median(delays)
    time = (
        ctx.t("common.response_minutes", m=max(1, round(median * 60)))
        if median < 1
        else ctx.t("common.response_hours", h=f"{median:.1f}".rstrip("0").rstrip("."))
    )
    return [
        Reply(
            ctx.t(
                "common.response",
                time=time,
                answered=len(delays),
                asked=len(asked),
                days=RESPONSE_DAYS,
            )
        )
    ]
