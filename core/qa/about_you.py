"""Questions about the asker's own membership, place in their courses, rank, questions or
next course ("what plan am I on?", "where did I stop?", "我学到哪了？", "我排第几？", "has anyone
answered my question?", "有什么课程推荐给我？"), answered with what /status, /next, /progress,
/leaderboard, /questions or /recommend shows them; about what the bot can do ("what can
you do?", "你能做什么？"), with /help; a newcomer's "what should I do first?", "我是新来的",
with the /start welcome; the prices ("how much is the yearly membership?", "年费会员要多少钱？",
which opened threads) with /plans; and "stop sending me messages", "别再给我发消息了" with the ways to
stop things. The search found the built-in answers on how to look these up, but too weakly to answer
("plan" is a word MiniLM reads many ways), so such a question opened a community thread that
nobody but the bot could answer.

Only whole questions of these shapes are taken, so "where did I stop the container?" or
"which plan should I buy?" still go to the knowledge base."""

from __future__ import annotations

import re

from core.common import smalltalk
from core.context import Context
from core.qa import help_answers
from core.qa.tokenize import cjk_chars, split_parts
from core.replies import AnyReply, Reply
from core.router import run_command

_THING = r"(?:plan|membership|member ?ship|subscription|sub|tier|trial|access|package)"
_LEAD = re.compile(
    r"^(?:(?:hi|hey|hello|so|um+|ok(?:ay)?|bot|please|quick question|question)\b[\s,:]*)*"
    r"(?:(?:can|could|would) you (?:please )?(?:tell|remind|show) me|(?:please )?tell me|"
    r"(?:i )?(?:want|wanted|would like|'d like|need) to (?:know|check|see)|i (?:was )?wonder(?:ing)?|"
    r"do you know|any idea)?\s*"
)
_TAIL = re.compile(r"(?:\s*\b(?:please|now|right now|currently|at the moment|again|exactly))+$")
_STATUS_EN = [
    rf"(?:what|which) (?:kind of |type of )?{_THING} (?:am i on|am i in|am i|i'?m on|i am on|"
    rf"do i have|have i got|i have|did i (?:buy|get|pay for|choose|pick)|i bought|i'?m paying for)",
    rf"what(?:'s| is) my (?:current )?{_THING}(?: status)?",
    rf"(?:what|how) is my {_THING} (?:status|going|looking)",
    r"am i (?:still )?(?:a (?:paid |paying |premium |full )?member|subscribed|a subscriber|paid up|"
    r"paying|premium|on (?:a |the )?(?:paid |free )?(?:plan|trial|\w+ plan))(?: still)?",
    rf"is my {_THING} (?:still )?(?:active|valid|on|running|paid|over|expired|ended|"
    r"cancell?ed|working|ok)(?: still)?",
    rf"(?:when|what day) (?:does|will|is|do) my {_THING} (?:end|expire|run out|renew|finish|"
    r"stop|over|due|up|ending|expiring|renewing)(?: for renewal)?",
    rf"when (?:does|will) my {_THING} (?:need to be )?renewed",
    r"when (?:do|will|am|should) i (?:get |be )?(?:charged|billed|pay|renew|lose access)"
    r"(?: (?:again|next))?",
    r"when(?:'s| is) (?:my|the) next (?:payment|charge|bill|billing(?: date)?|renewal)",
    rf"how (?:many days|much time|long) (?:do i have |have i got |is |are )?(?:left|remaining) "
    rf"(?:on|in|of|for) my {_THING}",
    rf"how (?:many days|much time|long) (?:until|till|before) my {_THING} "
    r"(?:ends|expires|runs out|renews|is over)",
]
_NEXT_EN = [
    r"where (?:did|do) i (?:stop|leave off|left off|get to|stop last time|leave it)"
    r"(?: (?:last time|before|yesterday|in (?:the|my) (?:course|lessons?)))?",
    r"where (?:was|am) i(?: at)?(?: (?:in (?:the|my) (?:course|lessons?)))?",
    r"(?:which|what) lesson (?:am|was) i (?:on|at|up to|doing)",
    r"what was i (?:studying|learning|doing|working on|reading)(?: last time)?",
    r"what(?:'s| is) my (?:next|current) lesson",
    r"what (?:lesson )?(?:should|do) i (?:do|study|learn|take) next",
    r"what(?:'s| is) next for me",
]
_PROGRESS_EN = [
    r"how far (?:am i|have i (?:got|gotten|come)|did i get|along am i|along i am|i am|i'?ve got)"
    r"(?: (?:in|with|through) (?:the |my )?(?:[\w+#-]+ ){0,4}(?:course|courses|lessons|class))?",
    r"how many (?:courses|lessons) (?:have i|did i|i'?ve|i have) (?:completed|finished|done|"
    r"complete|finish|taken)(?: so far| already| yet| in total)?",
    r"how am i (?:doing|progressing)(?: (?:in|with) (?:the|my) (?:course|courses|lessons))?",
    r"(?:what|which) (?:course|courses) am i (?:taking|doing|enrolled in|in|on|signed up for)",
    r"what(?:'s| is| are) my (?:progress|courses|stats)",
    r"(?:what|which) (?:courses|lessons) (?:have i|did i) (?:finished|completed|done|finish|complete)",
]
_ZH_THING = r"(?:会员|方案|套餐|订阅|计划|试用|会籍)"
_STATUS_ZH = [
    rf"我(?:现在|目前)?(?:是|用的是|开的是|买的是|订的是|办的是|在用)?(?:什么|哪个|哪种|啥)(?:样的)?{_ZH_THING}",
    r"我(?:现在|目前)?还?是(?:不是)?(?:付费)?会员",
    rf"我的{_ZH_THING}(?:现在|目前)?(?:还)?(?:有效|在|生效|能用|过期|到期)(?:了)?(?:吗|没有|不)?",
    rf"我的{_ZH_THING}(?:什么时候|何时|哪天|几号)(?:到期|过期|结束|续费|扣费|续订)",
    rf"我的{_ZH_THING}(?:还)?(?:剩|有)(?:几|多少)天",
    r"(?:我)?(?:下次|下一次)?(?:什么时候|何时|哪天|几号)(?:会)?(?:扣费|续费|扣款|扣钱|付款)",
    rf"我的{_ZH_THING}(?:状态)?(?:是什么|怎么样|如何)",
]
_NEXT_ZH = [
    r"我(?:上次|之前)?(?:学到|停在|看到|学习到|读到)(?:了)?(?:哪|哪里|哪儿|哪一课|哪节课|第几课|第几节)(?:了)?",
    r"我(?:的)?下一(?:课|节|节课)(?:是什么|是哪个|是哪一课)?",
    r"我(?:接下来|下一步)(?:该)?学什么",
]
_PROGRESS_ZH = [
    r"我(?:的)?(?:学习)?进度(?:怎么样|如何|是多少)?",
    r"我(?:在|正在)?学(?:了)?(?:哪些|什么)课(?:程)?",
    r"我(?:学|学习)得怎么样",
    r"我的?(?:[\w ]{1,12}?)?(?:课程|课)的?(?:学习)?进度(?:到哪(?:里|儿)?|怎么样|如何|是多少)?",
    r"我(?:已经|一共|总共)?(?:完成|学完|上完|做完)了?(?:几|多少)(?:门|个|节)?(?:课|课程)",
]
_HELP_EN = [
    r"what (?:else )?(?:can|do|could) you do(?: for me)?",
    r"what (?:are you|is this bot|is this)(?: for)?",
    r"who are you",
    r"what (?:are )?(?:your|the) (?:commands|features|abilities|options)(?: are)?",
    r"what commands (?:are there|do you (?:have|know|understand|take))",
    r"how (?:do i|can i|to) use (?:you|this bot|the bot|this)",
    r"how does (?:this|the) bot work",
    r"(?:list|show me)(?: the| your| all)?(?: the)? commands",
]
_HELP_ZH = [
    r"你(?:都)?(?:能|会|可以)(?:做|干|帮我做|帮我干)?(?:些)?(?:什么|啥)",
    r"你是(?:谁|什么)",
    r"(?:这个)?机器人(?:怎么用|能做什么|有(?:什么|哪些)功能)",
    r"(?:你)?有(?:哪些|什么)(?:命令|功能|指令)",
    r"怎么(?:使用|用)(?:你|这个机器人|机器人)",
]
_RANK_EN = [
    r"what(?:'s| is) my (?:rank|ranking|place|position)(?: on the leaderboard)?",
    r"(?:what|which) (?:rank|place|position) am i(?: in| on)?(?: on the leaderboard)?",
    r"where am i on the leaderboard",
    r"am i on the leaderboard",
    r"how do i rank",
    r"where (?:can|do|could) i (?:see|find|check) my (?:rank|ranking|position|place|points)"
    r"(?: (?:this|for the) (?:week|month))?",
]
_RANK_ZH = [
    r"我(?:现在)?(?:排|排在|排名)(?:第几|多少|第几名|多少名|哪)(?:名|位)?",
    r"我的排名(?:是多少|是第几|怎么样|如何)?",
    r"我在排行榜上(?:排)?(?:第几|多少|哪)(?:名|位)?",
    r"(?:在)?哪(?:里|儿)?(?:可以|能)?(?:看|查)(?:到)?我(?:这个月|本月|这周|本周)?的(?:排名|名次|积分)",
]
_RECOMMEND_EN = [
    r"(?:can you |could you |please )?recommend (?:me )?(?:a |some |any )?(?:course|courses)"
    r"(?: for me)?(?: to take)?",
    r"(?:which|what) (?:course|courses) (?:should i (?:take|do|start|try)|do you recommend|"
    r"would you recommend|(?:is|are) (?:good|right|best) for me)(?: next)?",
    r"any (?:course )?recommendations(?: for me)?",
    r"what (?:course )?should i (?:take|start) next",
    r"(?:which|what) (?:course|courses) (?:should i|do i|to) (?:take|do|start with|begin with|"
    r"start) first",
]
_RECOMMEND_ZH = [
    r"(?:有)?(?:什么|哪些|哪门)课(?:程)?(?:可以)?(?:推荐|适合)(?:给)?我",
    r"(?:给我)?推荐(?:一些|几门|一门|一下)?课(?:程)?(?:给我)?",
    r"我(?:应该|该|可以)(?:学|上|选|报)(?:什么|哪门|哪个|哪些)课(?:程)?",
    r"(?:我)?(?:应该|该)?从哪(?:门|个|一门)课(?:程)?(?:开始)(?:比较好|好|学)?",
]
_QUESTIONS_EN = [
    r"(?:has|did|have) (?:anyone|anybody|someone|somebody) (?:answer|answered|replied to|reply to)"
    r" my (?:question|questions)(?: yet)?",
    r"(?:are there|is there|any) (?:answers|replies|answer|reply) (?:to|on|for) my "
    r"(?:question|questions)(?: yet)?",
    r"where (?:are|is|did) my (?:question|questions)(?: go)?",
    r"what happened to my (?:question|questions)",
    r"i (?:posted|asked|sent|wrote) (?:a|my) question(?: [\w ]{0,40}?)? (?:and )?(?:nobody|no one|"
    r"no-one|noone) (?:has )?(?:answered|replied|responded)(?: (?:yet|it|to it))?",
    r"(?:is )?(?:anyone|anybody|someone) (?:reading|looking at|answering) (?:it|my question)",
]
_QUESTIONS_ZH = [
    r"(?:我的问题)?有人回答(?:了)?我的问题(?:了)?(?:吗|没有)?",
    r"我的问题(?:有人回答|有回复|有答案|有人回复|怎么样)(?:了)?(?:吗|没有)?",
    r"我(?:提|问)的问题(?:呢|在哪|有人回答(?:了)?(?:吗)?)",
    r"我(?:在论坛|在社区)?(?:上)?(?:提|问|发)的问题(?:一直|还|都)?(?:没人|没有人)(?:回答|回复|理)(?:我)?",
]
_START_EN = [
    r"(?:i'?m|i am) new(?: here)?(?:,? (?:what|where) (?:should|do) i (?:do|start|begin)(?: first)?)?",
    r"i (?:just|have just|'ve just) (?:joined|signed up|subscribed|registered)(?:,? (?:what now|"
    r"now what|what next|what should i do(?: first)?|where do i start))?",
    r"(?:i )?(?:have|'ve got) no idea (?:where|how) to (?:start|begin)",
    r"i (?:just|have just|'ve just) (?:joined|signed up|subscribed|registered) and (?:i )?"
    r"(?:have no idea|don'?t know|do not know|am not sure|'m not sure) (?:where|how) to "
    r"(?:start|begin)",
    r"what (?:should|do) i do first",
    r"where (?:do|should|can) i (?:even )?(?:start|begin)",
    r"where (?:do|should|can) i (?:even )?(?:re-?start|start again|pick (?:it |things )?(?:back )?up|"
    r"get back into it)",
    r"(?:i )?(?:just|have just|'ve just) (?:joined|signed up|started)(?: (?:the|my|a))?(?: free)?"
    r"(?: trial| membership| community| course)?(?: (?:yesterday|today|last night|this week))?"
    r"(?:,? (?:and )?(?:where|what) (?:should|do) i (?:even )?(?:start|begin|do first))?",
    r"how do i (?:get started|start|begin)",
    r"how does (?:this|it|this community|this place)(?: all)? work",
]
_ZH_WHAT_NOW = r"(?:我)?(?:应该|该|要)?(?:做什么|干什么|怎么开始|从哪(?:里|儿)?开始|怎么用|怎么办)"
_START_ZH = [
    rf"我是新(?:来的|人|成员)(?:[，,]?{_ZH_WHAT_NOW})?",
    rf"我刚(?:刚)?(?:加入|进来|来|注册|报名|付费|开通)(?:了)?(?:[，,]?{_ZH_WHAT_NOW})?",
    r"(?:我)?(?:应该)?(?:从哪里|从哪儿|从哪|怎么)开始",
    r".{0,16}?(?:有没有建议)?(?:我)?(?:应该)?(?:从哪里|从哪儿|从哪|怎么)重新开始(?:学)?",
    r"第一步(?:该)?(?:做什么|是什么|干什么)",
    r"这(?:个)?(?:怎么用|是怎么运作的|怎么玩)",
]
_STOP_EN = [
    r"(?:stop|quit) (?:sending|messaging|texting|spamming|pinging|notifying|bothering)"
    r"(?: me)?(?: (?:messages|notifications|digests|emails|so many messages))?",
    r"unsubscribe(?: me)?(?: from (?:everything|all|this|these|the messages|notifications))?",
    r"i (?:don'?t|do not) want (?:any more |more |these |your |so many )?(?:messages|notifications"
    r"|digests|emails)(?: anymore| any more)?",
    r"no more (?:messages|notifications|digests|emails)",
    r"(?:too many|so many) (?:messages|notifications)",
    r"leave me alone",
]
_STOP_ZH = [
    r"(?:请)?(?:不要|别)(?:再)?(?:给我)?(?:发|推送)(?:消息|通知|摘要|信息)?",
    r"我(?:要|想)?退订",
    r"(?:取消|关闭|关掉)(?:所有)?(?:的)?(?:通知|消息|推送)",
    r"(?:消息|通知)太多",
]
_MY_EVENTS_EN = [
    r"(?:what|which) events (?:am i (?:going to|signed up for|registered for|attending)|"
    r"did i (?:sign up for|join|register for))",
    r"(?:what|which) events have i (?:signed up for|joined|registered for)",
    r"my events",
]
_MY_EVENTS_ZH = [
    r"我(?:报名|参加|报)了(?:哪些|什么)活动",
    r"我(?:要)?参加(?:哪些|什么)活动",
    r"我的活动",
]
_PLAN_WORD = (
    r"(?:membership|memberships|subscription|subscriptions|plan|plans|access|package|tier|"
    r"community|trial|month|year)"
)
_PRICE_EN = [
    r"how much (?:is|are|does|do|will|would|for)(?: it| this| the| a| an| your| one| each)?"
    r"(?: (?:monthly|yearly|annual|lifetime|premium|full|paid|basic|pro))?"
    rf"(?: {_PLAN_WORD})?(?: (?:cost|costs|be|cost me|charge))?"
    r"(?: (?:per|a|each|for a|for one|for the|every) (?:month|year|week))?",
    r"what(?:'s|s| is| are| does)(?: the| your)? (?:price|prices|cost|costs|fee|fees|pricing)"
    r"(?: (?:of|for))?(?: the| a| your)?(?: (?:monthly|yearly|annual|lifetime|premium|paid))?"
    rf"(?: {_PLAN_WORD})?",
    r"how much (?:is|are) (?:the )?(?:membership|subscription|monthly|yearly|annual) "
    r"(?:fees?|prices?|costs?)",
    r"how much (?:does it cost |do i (?:have to |need to )?pay |)to (?:join|subscribe|sign up|"
    r"become a member|get access)",
    r"(?:what are )?(?:your |the )?(?:prices|pricing|price list)",
    r"what (?:does|will|would|do) (?:it|this|that|membership|a membership|(?:the|a) (?:\w+ )?"
    r"(?:membership|plan|subscription)) cost(?: me)?(?: (?:per|a|each|every) (?:month|year))?",
    rf"(?:is|are) (?:the|your)(?: \w+)? {_PLAN_WORD} (?:expensive|cheap|free)",
    r"how much (?:is|does) (?:the |a )?(?:monthly |yearly |annual )?(?:plan|membership|"
    r"subscription)(?: cost)?,? and (?:does|is|will) it (?:include|cover|come with|give me) "
    r"[\w ]{1,40}",
    r"what(?:'s| is) the difference between (?:the )?(?:monthly|yearly|annual|lifetime)"
    r"(?: plan| membership)? and (?:the )?(?:monthly|yearly|annual|lifetime)(?: plans?| memberships?)?",
]
_PRICE_ZH = [
    r"(?:年费|月费|会员|年度会员|月度会员|终身会员|包年|包月|订阅|会员费|年卡|月卡|会员资格){1,2}"
    r"(?:要|需要|是|得)?(?:多少钱|多少|几块钱|什么价格?)(?:一个月|一年|每月|每年)?",
    r"(?:会员|订阅|方案|套餐|会员费)(?:的)?(?:价格|费用|收费|价钱)(?:是多少|怎么样|多少|是什么)?",
    r"(?:加入|订阅|开通|报名|入会)(?:会员|社区|这个社区)?(?:要|需要|得)?(?:多少钱|花多少钱|交多少钱)",
    r"(?:会员|订阅|你们|这里|社区)?(?:是)?(?:怎么|如何)收费(?:的)?",
    r"收费(?:标准)?(?:是)?(?:怎样|怎么样|多少)",
    r"(?:一个月|一年|每月|每年)(?:要|需要)?多少钱",
    r"多少钱(?:一个月|一年)",
    r"(?:价格|价钱|价目表|费用)(?:是多少|多少)?",
    r"(?:年度|月度|年费|月费|终身|包年|包月)?(?:会员|方案)?(?:和|跟|与)(?:年度|月度|年费|月费|终身|包年|包月)"
    r"(?:会员|方案)?(?:有)?(?:什么|啥)(?:区别|不同)",
]
_ZH_LEAD = re.compile(r"^(?:你好|您好|请问|想问一下|问一下|我想知道|想知道|能告诉我|告诉我)+")
_ZH_TAIL = re.compile(r"(?:呢|啊|呀|吗|嘛|了)+$")
PRICES = "plans"
"""The plans and their prices, with the buttons to buy: in a private chat."""
STOP = "stop"
"""Not a command: "stop sending me messages" could mean digests, the membership or answer
invitations, so it gets the reply "stop" alone gets, naming the three."""
_ASKED: list[tuple[re.Pattern[str], str]] = [
    *((re.compile(p), "status") for p in _STATUS_EN + _STATUS_ZH),
    *((re.compile(p), "next") for p in _NEXT_EN + _NEXT_ZH),
    *((re.compile(p), "progress") for p in _PROGRESS_EN + _PROGRESS_ZH),
    *((re.compile(p), "help") for p in _HELP_EN + _HELP_ZH),
    *((re.compile(p), "start") for p in _START_EN + _START_ZH),
    *((re.compile(p), STOP) for p in _STOP_EN + _STOP_ZH),
    *((re.compile(p), "events mine") for p in _MY_EVENTS_EN + _MY_EVENTS_ZH),
    *((re.compile(p), "leaderboard") for p in _RANK_EN + _RANK_ZH),
    *((re.compile(p), "recommend") for p in _RECOMMEND_EN + _RECOMMEND_ZH),
    *((re.compile(p), "questions") for p in _QUESTIONS_EN + _QUESTIONS_ZH),
    *((re.compile(p), PRICES) for p in _PRICE_EN + _PRICE_ZH),
]


@help_answers.lookup
async def answer(ctx: Context, question: str) -> list[AnyReply] | None:
    """What that command shows the asker now, in a private chat; in a group (where nobody
    else should read a member's plan) where to ask it. None for any other question."""
    names = commands_for(question)
    if not names or (names == [PRICES] and ctx.event.chat.kind != "private"):
        return None  # a group gets the answer on joining: the plans' buttons are one's own
    out: list[AnyReply] = []
    for name in names:
        out += await _shown(ctx, name)
    return out


async def _shown(ctx: Context, name: str) -> list[AnyReply]:
    if name == STOP:
        return [Reply(ctx.t("errors.stop_what"))]
    if name == "help":  # the command list says what it is; it is no one's secret
        return await run_command(ctx, name, "")
    if ctx.event.chat.kind != "private":
        return [Reply(ctx.t("qa.about_you_private", command=f"/{name}"))]
    if name == PRICES:
        return [Reply(ctx.t("qa.prices")), *await run_command(ctx, name, "")]
    if name == "start":  # the welcome: where they stand and what to do first
        return await run_command(ctx, name, "")
    command, _, args = name.partition(" ")  # "events mine"
    return [
        Reply(ctx.t("qa.about_you", command=f"/{name}")),
        *await run_command(ctx, command, args),
    ]


_AND = re.compile(
    r"^\s*(?:(?:and|also|plus|then|but|so)\b\s*)+|^(?:还有|另外|以及|那|而且|顺便问一下)+", re.I
)
MAX_PARTS = 2
"""A message asking more than this many such things is left to the search."""


def commands_for(question: str) -> list[str]:
    """The commands a message asks for: one for a question of a known shape; for a message
    of several parts ("hi, I just signed up and have no idea where to start. which course
    should I take first?", which opened a thread) one per part, when every part that is not
    small talk is such a question. Empty for anything else."""
    if (whole := command_for(question)) is not None:
        return [whole]
    parts = [_AND.sub("", p) for p in split_parts(question)]
    parts = [p for p in parts if p.strip() and smalltalk.kind(p) is None]
    if not parts:
        return []
    found = [command_for(p) for p in parts]
    if None in found:
        return []
    names = list(dict.fromkeys(n for n in found if n is not None))
    names.sort(key=lambda n: n == "start")  # the welcome's first question is asked last
    return names if len(names) <= MAX_PARTS else []


def plain(text: str) -> str:
    text = " ".join(text.lower().replace("’", "'").split())
    text = text.strip(" ?!.。？！~～,，")
    text = _LEAD.sub("", text, count=1)
    zh = bool(cjk_chars(text))
    text = _ZH_LEAD.sub("", text.replace(" ", "")) if zh else text
    text = _TAIL.sub("", text)
    return _ZH_TAIL.sub("", text) if zh else text


def command_for(question: str) -> str | None:
    """The command whose reply answers a question about the asker's own plan, courses,
    rank, questions or what to take next, or about the bot ("help"); None for any other."""
    plain_text = plain(question)
    return next((cmd for pattern, cmd in _ASKED if pattern.fullmatch(plain_text)), None)
