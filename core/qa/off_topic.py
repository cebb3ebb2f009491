"""Requests outside the community's subject and the bot's work ("what's the weather like in
london today", "tell me a joke", "帮我写一篇毕业论文吧"): said so, with what the bot does. Each
opened a public thread, asking the members for the weather or a thesis.

Only whole requests of these shapes: "predict the weather with a random forest" is a course
question and still searched."""

from __future__ import annotations

import re

from core.context import Context
from core.qa import help_answers
from core.qa.about_you import plain
from core.replies import AnyReply, Reply

_OFF = re.compile(
    r"(?:what(?:'s| is) the |how(?:'s| is) the )?weather(?: like)?(?: (?:in|at|for) [\w ]{1,30}?)?"
    r"(?: (?:today|tomorrow|now|this week))?"
    r"|(?:can you |could you |please )?(?:tell me )?a (?:joke|story)|(?:say|know) (?:a|any) jokes?"
    r"|(?:can you |could you |please )?(?:write|do) (?:me )?(?:my |an? |the )?(?:essay|thesis|"
    r"dissertation|cover letter|poem|homework|assignment)(?: (?:for me|about|on) [\w ,]{1,60})?"
    r"|(?:今天|明天|[\u4e00-\u9fff]{1,4}的)?天气(?:怎么样|如何|好吗)?"
    r"|(?:给我|你)?讲(?:一)?个笑话(?:吧)?"
    r"|(?:帮我|替我|给我)?(?:写|代写)(?:一篇|一份|个)?(?:毕业论文|论文|作文|诗|作业)(?:吧)?(?:[，,]?题目随便)?",
    re.IGNORECASE,
)


def is_off_topic(question: str) -> bool:
    return bool(_OFF.fullmatch(plain(question)))


@help_answers.lookup
async def off_topic(ctx: Context, question: str) -> list[AnyReply] | None:
    if getattr(ctx.event, "name", None) == "ask" or not is_off_topic(question):
        return None  # /ask: posted for the forum, as asked
    return [Reply(ctx.t("qa.off_topic"))]
