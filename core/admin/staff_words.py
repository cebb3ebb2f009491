"""A moderator's request in words, "give alice a free month", "remove bob from the group",
"给所有人发通知": the commands that do it, with how to write them.

In a private chat these were held as questions for the public forum ("Shall I post it?"),
and a moderator who did not remember the command's name had only /help's long list. The
request is not carried out from its words (who, how long, what text are easy to misread):
the reply names the command or two that do it, each with its usage, to send as written.
"""

from __future__ import annotations

import re

from core.context import Context, Role
from core.qa import help_answers
from core.replies import AnyReply, Reply
from core.router import COMMANDS

_SAID: list[tuple[re.Pattern[str], tuple[str, ...]]] = [
    (
        re.compile(
            r"\b(?:remove|kick|throw|boot|ban)\b.{0,40}\b(?:from|out of|out)\b (?:of )?(?:the |our |this )?"
            r"(?:group|chat|server|community|channel|discord|telegram)\b|"
            r"\bkick (?:out )?@?\w+|踢(?:出去|掉|出群)|移出(?:群|社区)|赶出去",
            re.IGNORECASE,
        ),
        ("revoke", "ban"),
    ),
    (
        re.compile(
            r"\b(?:unban|un-ban|lift (?:the |his |her |their )?ban)\b|解(?:除)?封|解禁|取消(?:对\S{1,12})?封禁",
            re.IGNORECASE,
        ),
        ("unban",),
    ),
    (re.compile(r"\bmute\b|\bsilence\b|禁言", re.IGNORECASE), ("ban",)),
    (
        re.compile(
            r"\b(?:free|extra|another|bonus) (?:month|week|year|\d+ days?|days?)\b|"
            r"\b(?:extend|lengthen|prolong)\b.{0,30}\b(?:membership|plan|subscription|access|trial)|延期|延长|续期|多送|送(?:他|她)?(?:一个月|一周|\d+天)|"
            r"(?:加|送|给|补)(?:\d+|[一二三四五六七八九十两]+)(?:个)?(?:天|周|个月|月)(?:的)?(?:会员|时长|权限)?|"
            r"(?:送|给|帮)\s*@?[\w.\-]{1,20}?\s*(?:加|送|开|开通)?\s*(?:\d+|[一二三四五六七八九十两]+)\s*(?:个)?"
            r"(?:天|周|星期|个月|月|年)(?:的)?(?:会员|时长|权限)",
            re.IGNORECASE,
        ),
        ("extend", "grant"),
    ),
    (
        re.compile(
            r"\bmake @?\w+ (?:a |an )?(?:moderator|mod|admin|expert)\b|"
            r"\b(?:promote|demote)\b|设(?:为|成|置为|置成)(?:管理员|专家)|(?:升|降)为(?:管理员|普通会员)",
            re.IGNORECASE,
        ),
        ("role",),
    ),
    (
        re.compile(
            r"\b(?:create|make|generate|new|issue)\b.{0,30}\b(?:gift |voucher |promo |discount |"
            r"redeem )?codes?\b|\b(?:need|want) \d+ (?:\w+ )?codes\b|\b\d+ (?:voucher|promo|discount|"
            r"gift|redeem) codes\b|(?:生成|创建|新建|做)(?:一些|几个|\d+个)?[^，。,]{0,10}?(?:兑换码|礼品码|优惠码)",
            re.IGNORECASE,
        ),
        ("codes",),
    ),
    (
        re.compile(
            r"\b(?:send|post|announce|message|notify|email)\b(?: (?:a|an|the) (?:message|note|"
            r"announcement|reminder|notice))?(?: to)? (?:everyone|everybody|all (?:the )?members|"
            r"all users|the whole community)\b|\bsend (?:everyone|everybody|all members) (?:a|an)\b|"
            r"\b(?:make|send|post) an announcement\b|\b(?:need|want|have) to announce\b|"
            r"\bsend it to (?:everyone|everybody|all (?:the )?members)\b|"
            r"给(?:所有人|大家|全体(?:会员)?|(?:所有|全部)(?:的)?(?:会员|成员|用户))发|"
            r"通知(?:所有人|大家|全体)|群发|发(?:个|一个)?公告",
            re.IGNORECASE,
        ),
        ("broadcast",),
    ),
    (re.compile(r"\baudit log\b|\bwho did what\b|操作记录|审计日志", re.IGNORECASE), ("audit",)),
    (
        re.compile(
            r"\b(?:the|our|this|that|current|running|ongoing|my)\b[^.?!]{0,30}\b(?:(?:a/?b|ab|split)"
            r" tests?|experiments?)\b|\bvariant [a-d]\b|\b(?:list|stop|end|create|start) "
            r"(?:an? )?(?:experiments?|a/?b tests?)\b|(?:正在进行|在跑|现在|当前)[^。？！?!]{0,6}实验"
            r"|实验(?:结果|怎么样|进展|数据)|(?:停止|结束|创建|新建)(?:一个)?(?:实验|A/B ?测试)",
            re.IGNORECASE,
        ),
        ("experiment",),
    ),
    (
        re.compile(
            r"\bcancel (?:the |this |tomorrow'?s |today'?s |(?:mon|tues|wednes|thurs|fri|satur|sun)"
            r"day'?s |next |our )?(?:\w+ ){0,3}(?:event|workshop|session|webinar|meetup|live|office "
            r"hours?|q&a)\b|(?:取消|推迟|改期)[^，。？,?]{0,10}(?:活动|直播|答疑|讲座|工作坊)",
            re.IGNORECASE,
        ),
        ("event",),
    ),
    (
        re.compile(
            r"\brefund (?:@|#|him|her|them|this|that|the|his|their|user|member|[a-z]+'s)|\b(?:give|"
            r"issue|process|do|send) (?:a |the |him a |her a |them a )?refund\b|给[^，。,]{0,12}退款|"
            r"退款给|(?:帮|给)(?:他|她|这个用户|这位会员)退(?:个)?(?:款|钱)",
            re.IGNORECASE,
        ),
        ("refund",),
    ),
    (
        re.compile(
            r"\b(?:unused|unredeemed|used|redeemed)\b[^.?!]{0,20}\bcodes?\b|\bcodes?\b[^.?!]{0,30}"
            r"\b(?:unused|not (?:yet )?(?:used|redeemed)|redeemed|left)\b|兑换码[^。？！?!]{0,16}"
            r"(?:没(?:有)?(?:被)?(?:使用|用|兑换)|未(?:使用|兑换)|剩|还有哪些)",
            re.IGNORECASE,
        ),
        ("codes",),
    ),
    (
        re.compile(
            r"\b(?:questions?|things)\b[^.?!]{0,50}\b(?:couldn'?t|could not|didn'?t|did not|"
            r"can'?t|cannot|fail(?:ed|s)? to) answer\b|机器人(?:没能|没有|不能|答不上)(?:回答)?",
            re.IGNORECASE,
        ),
        ("kb",),
    ),
    (
        re.compile(
            r"\b(?:look ?up|find|search for) (?:the |a )?(?:member|user) (?:with|by|whose) (?:the |"
            r"(?:his|her|their) )?(?:e-?mail|phone|real name|address)\b",
            re.IGNORECASE,
        ),
        ("member", "members"),
    ),
    (
        re.compile(
            r"\b(?:knowledge base|kb|faq)\b.{0,30}\b(?:answer|entry|entries|add|edit|remove|"
            r"change|import)|\b(?:add|edit|remove|change|import)\b.{0,30}\b(?:knowledge base|faq)\b|"
            r"知识库",
            re.IGNORECASE,
        ),
        ("kb",),
    ),
    (
        re.compile(
            r"\b(?:add|create|edit|hide|publish|upload)\b (?:a |the |an )?(?:new )?course\b|"
            r"(?:添加|新建|创建|上架|下架|隐藏|编辑)(?:一门|一个)?(?:新)?课程",
            re.IGNORECASE,
        ),
        ("course",),
    ),
    (
        re.compile(
            r"\b(?:create|schedule|add|set up)\b (?:an? |the )?(?:new )?(?:event|session|"
            r"office hours?|workshop|webinar|meetup|live)\b|(?:创建|新建|安排|组织|发起)(?:一[个场次])?"
            r"[^，。？,?]{0,8}?(?:活动|直播|答疑|讲座|工作坊)|"
            r"\b(?:post|add|upload|share|attach)\b.{0,30}\brecording\b|(?:上传|发布|添加)[^，。？,?]{0,10}回放",
            re.IGNORECASE,
        ),
        ("event",),
    ),
]


_USAGE = re.compile(r"^(?:Usage|用法)\s*[:：]\s*")


def commands_for(text: str) -> list[str]:
    """The staff commands a request in words asks for (one only the owner may use says so
    in its description); empty for anything else."""
    for pattern, names in _SAID:
        if pattern.search(text):
            return [n for n in names if n in COMMANDS]
    return []


@help_answers.lookup
async def said_in_words(ctx: Context, question: str) -> list[AnyReply] | None:
    if ctx.role < Role.MODERATOR or ctx.event.chat.kind != "private":
        return None
    names = commands_for(question)
    if not names:
        return None
    lines = []
    for name in names:
        spec = COMMANDS[name]
        usage = _USAGE.sub("", ctx.t(spec.usage_key)) if spec.usage_key else f"/{name}"
        lines.append(f"• {usage} — {ctx.t(spec.help_key)}")
    return [Reply(ctx.t("admin.staff_words", lines="\n".join(lines)))]
