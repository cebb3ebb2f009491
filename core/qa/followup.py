""" "That didn't help", "不是这个" sent right after an answer: a 👎 on it, in words.

Typed instead of tapping 👎, it was searched as a question of its own and opened a thread
titled "that didn't help", while the question it was about stayed answered. Now it counts
as the 👎 would: the vote is recorded against the answer and the question goes to the
community (its thread opens, as after a tap).
"""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from core.context import Context
from core.qa import help_answers, service
from core.qa.about_you import plain
from core.replies import AnyReply
from models.qa import Question
from models.qa_extra import QAFeedback

WINDOW = timedelta(minutes=30)
"""How long after an answer such words are about it."""

_NOT_HELPFUL = re.compile(
    r"(?:no,? |nope,? |hmm,? |sorry,? )?(?:"
    r"(?:that|this|it|your answer|the answer)(?: answer)? (?:didn'?t|did not|doesn'?t|does not)"
    r" help(?: (?:at all|me|much|really))?|"
    r"(?:that|this|it)(?:'s| is| was) (?:not|wrong)(?: (?:it|helpful|useful|right|correct|the "
    r"answer|what i (?:asked|meant|wanted|was looking for)|my question))?|"
    r"not (?:helpful|useful|what i (?:asked|meant|wanted|was looking for))|wrong answer|"
    r"(?:that|this) (?:is|was) (?:wrong|useless|not it)|doesn'?t help|no that'?s not it|"
    r"that'?s not my question)"
    r"|(?:这个|这)?(?:没用|没有用|没帮助|没有帮助|没帮上忙|不对|不是这个|不是我要的|不是我想问的|"
    r"答非所问|不是这个意思|没解决|没有解决)"
)


def says_not_helpful(text: str) -> bool:
    return bool(_NOT_HELPFUL.fullmatch(plain(text)))


@help_answers.lookup_first
async def not_helpful(ctx: Context, text: str) -> list[AnyReply] | None:
    if ctx.event.chat.kind != "private" or getattr(ctx.event, "name", None) == "ask":
        return None
    if not says_not_helpful(text):
        return None
    last = (
        await ctx.session.execute(
            select(Question)
            .where(Question.member_id == ctx.member.id)
            .order_by(Question.created_at.desc(), Question.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    if last is None or ctx.clock.now() - last.created_at > WINDOW:
        return None
    voted = (
        await ctx.session.execute(
            select(QAFeedback.helpful).where(
                QAFeedback.question_id == last.id, QAFeedback.member_id == ctx.member.id
            )
        )
    ).scalar_one_or_none()
    if voted is False or last.status != "answered":
        # said again after a 👎, or a thread opened for it: the question is with the
        # community, and the words are about that (not a thread titled "that didn't help")
        return await service.where_it_is_discussed(ctx, last)
    given = await service.answer_given(ctx, last)
    if given is None:
        return None
    entry_id, confidence, via = given
    vote = [str(last.id), str(entry_id), "0", str(round(confidence * 1000))]
    return await service.feedback(ctx, vote, via=via)
