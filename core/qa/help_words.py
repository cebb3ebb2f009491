"""Longer questions about the membership that name their topic in so many words ("can i
pause my membership for 2 months while i travel?", "Can I pay with PayPal instead of
card?", "从月付升级到年付，差价怎么算"), taken for the built-in answer on it. The asks compare
short questions only, and the search found these answers too weakly to answer, so each
opened a community thread that only a moderator could answer.

Each rule wants a word for the membership and a word for what is asked about it, so "how
do I pause a thread in python?" or "is the refund rate a good feature?" are still searched."""

from __future__ import annotations

import re

_PLAN = (
    r"(?:membership|subscription|plan|plans|account|access|tier|package|monthly|yearly|annual|"
    r"trial|sub)"
)
_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "cancel",
        re.compile(
            rf"\b(?:pause|freeze|suspend|put (?:\w+ )?on hold|hold) (?:my |the |our )?{_PLAN}\b"
            r"|(?:暂停|冻结|停一段时间)(?:我的)?(?:会员|订阅|会籍|账号)|(?:会员|订阅)(?:能不能|可以|能)?(?:暂停|冻结)",
            re.IGNORECASE,
        ),
    ),
    (
        "join",
        re.compile(
            r"\b(?:can|could|may|do|does|will) (?:i|we|you|they) (?:\w+ )?(?:pay|buy|purchase|"
            r"subscribe|use|take|accept)\b[^.?!]{0,30}\b(?:paypal|alipay|apple pay|google pay|"
            r"wechat|crypto|bitcoin|bank transfer|wire transfer|debit card|another card)\b"
            r"|\b(?:paypal|alipay|apple pay|google pay|wechat pay|crypto|bitcoin|bank transfer)\b"
            r" (?:is )?(?:accepted|possible|an option|ok|okay)\b"
            r"|\b(?:free )?trial\b[^.?!]{0,60}\b(?:charge|charged|charges|billed|bill me|card|"
            r"auto(?:matically)?|pay (?:automatically|after))"
            r"|(?:能|可以|能不能|可不可以|支持)(?:用)?(?:支付宝|微信|PayPal|paypal|银联|信用卡|借记卡)"
            r"|(?:免费)?试用[^。？！?!]{0,16}(?:自动)?(?:扣费|扣款|扣钱|收费)",
            re.IGNORECASE,
        ),
    ),
    (
        "plans",
        re.compile(
            rf"\b(?:upgrade|downgrade|switch|change|move|go)\b[^.?!]{{0,30}}\b{_PLAN}\b"
            r"[^.?!]{0,30}\b(?:to|from|into|for)\b[^.?!]{0,20}\b(?:monthly|yearly|annual|"
            r"lifetime|basic|premium|pro|cheaper|smaller|bigger|another|other|different)\b"
            rf"|\b(?:upgrade|downgrade) (?:my |the |to (?:the |a )?)?(?:\w+ )?{_PLAN}\b"
            r"|\bswitch (?:from )?(?:monthly|yearly|annual) (?:to|plan)"
            r"|(?:月付|月度|包月|月费|年付|年度|包年|年费)[^。？！?!]{0,6}(?:升级|换|转|改)(?:成|到|为)?"
            r"[^。？！?!]{0,4}(?:年付|年度|包年|年费|月付|月度|包月|月费)|(?:升级|降级|更换|切换)(?:会员|方案|套餐|订阅)",
            re.IGNORECASE,
        ),
    ),
    (
        "gift",
        re.compile(
            # one who was given a gift asks how to use it: the answer on codes
            r"^(?![^\n]*\b(?:redeem\w*|got|received|(?:gave|given|sent) (?:me|us))\b"
            r"|[^\n]*(?:兑换|收到|送了我|送我|给了我))[^\n]*?(?:"
            r"\b(?:buy|purchase|pay for|get|gift|sponsor|cover)\b[^.?!]{0,30}\b(?:membership|"
            r"memberships|subscription|subscriptions|plan|access|seats?|a month|a year|licen[cs]es?)"
            r"\b[^.?!]{0,30}\bfor (?:(?:\d+|two|three|four|five|six|seven|eight|nine|ten|a few|"
            r"several|all) (?:of )?)?(?:my |our |a |an |the |some )?(?:\w+ )?(?:friends?|team|"
            r"teammates|colleagues?|co-?workers|employees|staff|students|class|group|son|daughter|"
            r"kids?|children|wife|husband|partner|mom|mum|dad|brother|sister|someone|somebody|"
            r"others|other people|\d+ people|people)\b"
            r"|\bpay for (?:my |our )?(?:whole |entire )?(?:team|class|colleagues|employees|staff)\b"
            r"|\b(?:discounts?|pricing|prices?)\b[^.?!]{0,20}\bfor (?:a |the |my |our )?(?:teams?|"
            r"groups?|companies|company)\b"
            r"|\b(?:can|could|how (?:do|can|could)) (?:i|we) (?:gift|give)\b[^.?!]{0,20}\b(?:a |an )?"
            r"(?:membership|subscription|plan|access)\b|\b(?:as|for) (?:a |an )?(?:\w+ )?"
            r"(?:gift|present)\b|\bbuy (?:him|her|them|my \w+) (?:a |an |the )?(?:\w+ )?"
            r"(?:membership|subscription|plan)\b|\bhow (?:do|can|could|should) i (?:give|gift|send)"
            r" (?:it|this|one|the membership|a membership) to\b|\bcode\b[^.?!]{0,30}\b(?:birthday |"
            r"greeting )?card\b|\b(?:extra|more|additional) seats?\b|\bseats?\b[^.?!]{0,40}\b(?:end|"
            r"expire|last|renew)|\b(?:have|make|let) it start (?:on|from)\b"
            r"|\b(?:team|group|company|corporate|bulk|multi-?user|family) (?:plan|plans|pricing|"
            r"price|prices|seats?|licen[cs]es?|subscriptions?|memberships?|accounts?|option|deal|"
            r"discounts?|rate)\b|\bseats? for (?:my |our )?(?:team|class|company|colleagues)\b"
            r"|(?:给|帮|替|为)[^。？！?!]{0,6}(?:朋友|同事|团队|员工|学生|家人|孩子|儿子|女儿|别人|他|她|"
            r"他们|大家)[^。？！?!]{0,6}(?:买|购买|开|开通|订|付|试)|(?:团队|企业|公司|团体|批量|家庭)(?:会员|套餐|"
            r"方案|版|价|优惠|购买|席位|账号)|团购|送(?:给)?(?:朋友|别人|同事)?(?:一个|一份)?会员"
            r"|(?:会员|订阅)(?:可以|能)?(?:送人|赠送|作为礼物))",
            re.IGNORECASE,
        ),
    ),
    (
        "redeem",
        re.compile(
            r"\b(?:student|students|education(?:al)?|academic|nonprofit|non-profit|"
            r"regional|country|countries) (?:discount|discounts|pricing|price|rate|"
            r"plan|deal)s?\b|\b(?:discount|discounts|coupon|promo)\b[^.?!]{0,40}\b(?:for|if|as)\b"
            r"[^.?!]{0,20}\b(?:students?|countries|teams?|groups?|members?)\b"
            r"|学生(?:优惠|折扣|价)|(?:有没有|有)(?:什么)?(?:优惠|折扣)(?:活动|价)?",
            re.IGNORECASE,
        ),
    ),
    (
        "refund",
        re.compile(
            rf"\b(?:is|are) (?:the |my |a |an )?(?:\w+ )?{_PLAN} refundable\b"
            rf"|\brefund(?:s|able)?\b[^.?!]{{0,40}}\b(?:if|after|when) (?:i |you )?(?:change|cancel|"
            r"don'?t like|do not like|am not happy|quit|stop)"
            r"|(?:会员|订阅|年费|月费|年度会员|年付)[^。？！?!]{0,8}(?:能|可以)(?:退款|退钱|退)",
            re.IGNORECASE,
        ),
    ),
    (
        "digest",
        re.compile(
            r"\b(?:change|move|switch|set|get)\b[^.?!]{0,20}\b(?:the |my )?(?:digest|digests|weekly "
            r"email)\b[^.?!]{0,30}\b(?:to|on|every|instead)\b"
            r"|(?:摘要|推送|周报)[^。？！?!]{0,8}(?:改到|改成|换到|换成)",
            re.IGNORECASE,
        ),
    ),
    (
        "points",
        re.compile(
            r"\b(?:points?|xp)\b[^.?!]{0,30}\b(?:calculated|counted|work|earned|computed)\b"
            r"[^.?!]{0,60}\bleaderboard\b"
            r"|积分(?:是)?(?:怎么|如何)(?:算|计算|获得|得)",
            re.IGNORECASE,
        ),
    ),
)


_MORE: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "profile",
        re.compile(
            r"\b(?:change|edit|update|remove|add|set)\b[^.?!]{0,12}\b(?:my |the )?(?:interests?|"
            r"topics?) (?:on|in) (?:my )?profile\b|\b(?:change|edit|update) (?:my |the )?interests"
            r"(?= (?:to|in|on|so|for)\b|\s*[?.!,]|\s*$)"
            r"|(?:修改|改|更改|编辑)[^。？！?!]{0,6}(?:兴趣|关注的主题)",
            re.IGNORECASE,
        ),
    ),
    (
        "peers",
        re.compile(
            r"\b(?:find|match|looking for|look for|want|need|get|pair me with|find me)\b[^.?!]{0,20}"
            r"\bstudy (?:partner|partners|buddy|buddies|mate|group)\b"
            r"|(?:找|匹配|想要|需要|求)[^。？！?!]{0,8}(?:学习伙伴|学伴|学习搭子|一起学)",
            re.IGNORECASE,
        ),
    ),
    (
        "digest",
        re.compile(
            r"\bquiet hours?\b(?=.*\b(?:i|me|my|notifications?|messages?|pings?|pinged|digests?)\b)"
            r"|\b(?:don'?t|do not|stop|no) (?:\w+ )?(?:ping|message|notify|"
            r"send)\w* (?:me )?(?:\w+ ){0,3}(?:at|after|before|during) (?:night|\d{1,2} ?(?:am|pm)|"
            r"work|sleep)|免打扰|(?:晚上|夜里|半夜|凌晨)[^。？！?!]{0,10}(?:别|不要)(?:再)?(?:给我)?发",
            re.IGNORECASE,
        ),
    ),
    (
        "status",
        re.compile(
            r"\b(?:rejoin|re-?subscribe|come back|resubscribe|subscribe again|renew again)\b"
            r"[^.?!]{0,50}\b(?:progress|points|history|level|data|lessons)\b"
            r"|(?:重新订阅|重新加入|再订阅|回来)[^。？！?!]{0,16}(?:进度|积分|记录|等级)",
            re.IGNORECASE,
        ),
    ),
    (
        "privacy",
        re.compile(
            r"\bwho (?:can|could|will) see (?:my )?(?:\w+ )?(?:profile|posts?|questions?|answers?|"
            r"progress|points|data|activity|name|messages?|stats)\b|\b(?:is|are) my (?:forum )?"
            r"(?:profile|posts?|questions?|answers?|progress|points|data|activity|name) (?:visible|"
            r"public|private)\b|(?:会|能)?被(?:别人|其他人|其他成员|公司|老板)(?:看到|看见)",
            re.IGNORECASE,
        ),
    ),
    (
        "courses",
        re.compile(
            r"\b(?:finished|completed|did|done with) (?:\w+ ){0,2}lesson\b[^.?!]{0,60}\b(?:shows?|"
            r"still|not (?:marked|showing|counted)|progress|complete)"
            r"|(?:做完|学完|完成)(?:了)?第?[\d一二三四五六七八九十]+(?:课|节)[^。？！?!]{0,16}(?:进度|没完成|未完成|显示)",
            re.IGNORECASE,
        ),
    ),
)


_WALK_2: tuple[tuple[str, re.Pattern[str]], ...] = (
    (  # before "mentor": "dont want to be an expert anymore" is the opposite
        "experts",
        re.compile(
            r"\b(?:don'?t|dont|do not|no longer|not) (?:want to |wanna )?(?:be|being) (?:an? )?(?:expert|"
            r"mentor|helper)\b|\bstop (?:being an? (?:expert|mentor)|inviting me)\b"
            r"|不(?:想|要)(?:再)?(?:当|做)(?:专家|导师)|别再?邀请我",
            re.IGNORECASE,
        ),
    ),
    (
        "cancel",
        re.compile(
            r"\bcancel (?:at )?any ?time\b|\b(?:am i|are we|will i be|get) locked in(?:to)?\b"
            r"|\b(?:minimum|lock-?in) (?:term|period|commitment|contract)\b"
            r"|随时(?:都)?(?:可以|能)?(?:取消|退订|退出)|(?:有没有|有)(?:最低|最短)(?:期限|时长)",
            re.IGNORECASE,
        ),
    ),
    (
        "join",
        re.compile(
            r"\b(?:start|begin|activate|get) (?:the |a |my |your )?(?:free )?trial\b(?! balance)"
            r"|(?:怎么|如何|想)(?:开始|开通|申请)?(?:免费)?试用",
            re.IGNORECASE,
        ),
    ),
    (
        "status",
        re.compile(
            r"^(?=.*\b(?:lapse\w*|expire\w*|ends?|ended|cancel\w*|stop paying|membership|plan|"
            r"subscription|payment|renew\w*|rejoin\w*)\b)"
            r".*?(?:\b(?:progress|points|history|record)\b[^.?!]{0,30}\b(?:get |be )?"
            r"(?:reset|lost|wiped|deleted|gone|erased)\b|\b(?:lose|keep) (?:all )?my (?:progress|"
            r"points|history)\b)"
            r"|(?:账号|账户|帐号)还在|(?:进度|学习记录|积分)还(?:保存着|保存|在|算)",
            re.IGNORECASE | re.DOTALL,
        ),
    ),
    (
        "certificates",
        re.compile(
            r"\bfinish(?:ed)?\b[^.?!]{0,50}\b(?:didn'?t|did not|haven'?t|never) (?:get|got|"
            r"receive|received)\b|\bwhat counts as [\"“']?(?:finishing|finished|completing|completed|"
            r"done)\b|\bcertificates?\b[^.?!]{0,40}\b(?:grade|score|verif\w*|linkedin|employers?)"
            r"|\b(?:real|actual|proper|official) certificates?\b|\bcertificate or (?:just )?a badge\b"
            r"|\b(?:lose|keep) (?:all )?my certificates?\b|\bcertificates?\b[^.?!]{0,30}\b(?:expire|"
            r"still valid|get lost|be lost|gone)|(?:结业|完成|学完|毕业)[^。？！?!]{0,8}证书|结业证"
            r"|证书[^。？！?!]{0,8}(?:有效|过期|验证|领英|LinkedIn)",
            re.IGNORECASE,
        ),
    ),
    (
        "redeem",
        re.compile(
            r"\b(?:loyalty|returning|existing|old|renewal) (?:member |customer )?(?:discount|deal|"
            r"price|pricing)s?\b|(?:老会员|老用户|续费)(?:有没有|有)?(?:什么)?(?:优惠|折扣)",
            re.IGNORECASE,
        ),
    ),
    (
        "peers",
        re.compile(
            r"\b(?:recommend|suggest|find|show) (?:me )?(?:a few |some |other )?(?:people|members|"
            r"learners|someone) (?:who(?:'re| are)? |that are )?(?:taking|studying|learning|doing)"
            r" (?:the )?same\b|推荐(?:几个|一些)?(?:现在)?(?:在学|学)同一门课的人"
            r"|对方会(?:知道|看到)是我|会不会打扰(?:到)?别人",
            re.IGNORECASE,
        ),
    ),
    (
        "plans",
        re.compile(
            r"\b(?:switch|upgrade|change|move)\b[^.?!]{0,30}\b(?:lose|lost|keep|get back)\b"
            r"[^.?!]{0,30}\b(?:days?|time|money|what i paid|already paid)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "privacy",
        re.compile(
            r"\b(?:export|download)\b[^.?!]{0,20}\b(?:my|all my) (?:data|notes|posts|progress|"
            r"history|stuff)\b|\bexport (?:everything|it all)\b|\bis there an export\b|\bdelete (?:my )?(?:account|data|everything)"
            r"\b|\bgdpr\b|\bright to be forgotten\b|\b(?:forum )?posts?\b[^.?!]{0,20}\b(?:deleted|"
            r"anonymi[sz]ed)\b|导出(?:我的)?(?:数据|笔记|记录|帖子)|删号|删除(?:我的)?(?:账号|数据)",
            re.IGNORECASE,
        ),
    ),
    (
        "link",
        re.compile(
            r"\b(?:switch|move|moved|moving|migrate|go)\b[^.?!]{0,30}\bto (?:discord|telegram)\b"
            r"(?!\.\w|\w)"
            r"|\b(?:bot|you)\b[^.?!]{0,20}\b(?:doesn'?t|does not|don'?t|do not) (?:know|recogni[sz]e)"
            r" (?:who i am|me)\b|\bpay again on (?:discord|telegram)\b|\b(?:subscription|membership|"
            r"progress)\b[^.?!]{0,30}\b(?:carry|come) (?:over|with me)\b"
            r"|(?:从)?(?:telegram|电报|tg)(?:换|转|搬|切换)到\s*discord|(?:从)?discord(?:换|转|搬|切换)到"
            r"\s*(?:telegram|电报)|(?:不认识我|认不出我)",
            re.IGNORECASE,
        ),
    ),
    (
        "join",
        re.compile(
            r"\bwhat(?:'s| is) (?:actually )?free\b|\banything (?:for )?free\b|\bwithout paying\b"
            r"|不(?:用|花)钱(?:能|可以)|免费(?:的)?(?:内容|部分)?(?:有哪些|能做什么)",
            re.IGNORECASE,
        ),
    ),
    (
        "points",
        re.compile(
            r"\bpoints?\b[^.?!]{0,40}\b(?:get you|worth|rewards?|discounts?|free month|redeem\w*|"
            r"exchange|spend)\b|(?:扣|减少|影响)(?:我的)?积分|积分(?:能|可以)(?:换|兑换|抵)",
            re.IGNORECASE,
        ),
    ),
    (
        "mentor",
        re.compile(
            r"\b(?:become|be) (?:a |an )?(?:mentor|expert|helper|teaching assistant)\b(?! (?:in|at|on|"
            r"with|of)\b)|\bmentor(?:ship)?"
            r" program\b|\bexpert program\b|\bhelp (?:others|other members|people)\b[^.?!]{0,20}"
            r"\banswer|\bhost (?:a |an )?(?:live )?(?:session|event|workshop)\b"
            r"|(?:做|当|成为)(?:专家|导师|助教)|主持(?:一次|一场)?直播|想(?:帮|帮助)(?:别人|其他人|其他成员)",
            re.IGNORECASE,
        ),
    ),
    (
        "profile",
        re.compile(r"(?:设置|设定|填写)(?:一下)?(?:我的)?(?:兴趣|时区|个人资料)", re.IGNORECASE),
    ),
)
"""From the walk of 2026-12-07 (90 messages by nine members, blind to the bot): each of
these opened a public thread or was offered for the forum."""


_WALK_3: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "redeem",
        re.compile(
            r"\b(?:gave|given|sent) (?:me|us) (?:a |an |the |another )?(?:\w+ )?(?:code|voucher)\b"
            r"|\b(?:code|voucher)s?\b[^.?!]{0,40}\bstop working\b|\bstack\b[^.?!]{0,30}\b(?:codes?|"
            r"them|time)\b|\b(?:two|2|both|several|multiple) codes\b"
            r"|(?:送了我|给了我|发了我|收到了?)(?:一个|一张)?[^。？！?!]{0,6}(?:兑换码|礼品码|优惠码)",
            re.IGNORECASE,
        ),
    ),
    (
        "join",
        re.compile(
            r"\b(?:send|give|show) (?:me )?(?:the |a )?(?:payment|checkout|pay) (?:link|page)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "status",
        re.compile(
            r"\bwhat happens (?:when|if|after) (?:it|my \w+|the \w+) (?:ends|expires|runs out|lapses|"
            r"is over)\b|\b(?:keep|lose)\b[^.?!]{0,40}\b(?:progress|certificates?|points)\b[^.?!]{0,30}"
            r"\b(?:if|when|after) (?:i )?(?:don'?t|do not|stop|not|no longer) (?:renew|pay)",
            re.IGNORECASE,
        ),
    ),
    (
        "plans",
        re.compile(
            r"\b(?:switch|move|change) (?:it |this |that )?to (?:my own|a paid|paying)\b|\bmy own "
            r"payment\b|(?:改成|换成|升级(?:成|到)?)(?:年付|年度会员|年费|年度)|(?:只买|买)(?:一个)?学期"
            r"|(?:年付|年度)[^。？！?!]{0,16}(?:退|抵扣|差价|补)",
            re.IGNORECASE,
        ),
    ),
    (
        "refund",
        re.compile(
            r"\bcharged (?:me )?(?:twice|two times|double)\b|\bdouble(?:-| )charged\b"
            r"|申请退款|(?:扣|收)了两次|重复扣(?:费|款|钱)|扣了两次",
            re.IGNORECASE,
        ),
    ),
    (
        "link",
        re.compile(
            r"(?:绑定|关联)(?:之后|以后|后)[^。？！?!]{0,10}(?:进度|会员|积分)", re.IGNORECASE
        ),
    ),
    (
        "privacy",
        re.compile(
            r"\bcan (?:i|we|a parent|parents|teachers?|my (?:boss|manager|company|employer|teacher))"
            r" see (?:his|her|their|my \w+'s|each \w+'s|the \w+'?s'?|how much each) "
            r"(?:\w+ )?(?:is |are )?(?:progress|activity|data|stats|usage|using)\b"
            r"|\bor is (?:that|it|this) private\b"
            r"|(?:能|可以)(?:互相)?看到(?:对方|彼此|别人|其他人|学生|孩子)|(?:老师|家长|公司|老板|经理)(?:能不能|能|可以)"
            r"看到",
            re.IGNORECASE,
        ),
    ),
    (
        "points",
        re.compile(
            r"\b(?:miss|skip|take)\b[^.?!]{0,30}\b(?:days?|a day|week|off)\b[^.?!]{0,40}\b(?:lose|"
            r"reset|break|keep)\b[^.?!]{0,20}\b(?:streak|points)\b|(?:几天没学|断了几天|漏了几天|休息几天)"
            r"[^。？！?!]{0,12}(?:积分|连续|打卡)|算不算(?:参加|出席)[^。？！?!]{0,10}积分|积分(?:会)?(?:加|增加)吗",
            re.IGNORECASE,
        ),
    ),
    (
        "cancel",
        re.compile(
            r"不想(?:再)?续(?:费|订|了)?[^。？！?!]{0,8}(?:取消|怎么办|怎么弄)", re.IGNORECASE
        ),
    ),
    (
        "mentor",
        re.compile(
            r"\b(?:notif\w*|ping|alert|tell) (?:me )?when (?:someone|anyone|people|a member|members) "
            r"(?:asks?|posts?)\b|\bhost (?:a |an |my own )?(?:\w+ ){0,2}(?:session|event|workshop|"
            r"office hours)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "events",
        re.compile(
            r"\b(?:workshops?|office hours|events?|live sessions?)\b[^.?!]{0,40}\b(?:zoom|voice "
            r"channel|google meet|meet link|teams link)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "certificates",
        re.compile(
            r"(?:能|可以)(?:拿|获得|得到|领)(?:到)?证书|证书上的名字|\bname on (?:the|my) certificate\b"
            r"|\b(?:get|earn) a certificate for (?:a |an |the )?(?:workshop|event|webinar)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "link",
        re.compile(r"\bmain account\b|\bwhich (?:one|account) is the main\b", re.IGNORECASE),
    ),
    (
        "questions",
        re.compile(
            r"\b(?:bump|push|boost) (?:my|the) (?:thread|question)\b"
            r"|\bhow (?:do|can|should) i (?:ask|post) (?:a |my )?question\b|\bjust paste (?:it|my "
            r"code) here\b",
            re.IGNORECASE,
        ),
    ),
    (
        "courses",
        re.compile(
            r"\bjust joined\b[^.?!]{0,40}\b(?:what (?:do|should) i do|where do i start|lost)\b"
            r"|\bwhat (?:do|should) i do (?:now|first)\b[^.?!]{0,20}$|刚加入[^。？！?!]{0,10}(?:做什么|从哪开始)",
            re.IGNORECASE,
        ),
    ),
)
"""From the walk of 2026-12-07 evening (71 messages by seven members, blind to the bot)."""


_ABOUT_LESSONS = frozenset({"courses", "certificates"})
"""The rules that hold when a tool is named: "I finished lesson 3 of Python Basics but it
still shows 2/12" and "i finished the python basics course and didn't get anything" name a
course, not the tool."""


def key_for(text: str, *, names_a_tool: bool = False) -> str | None:
    """The built-in answer a question about the membership names in words, or None. A
    question naming a tool ("quiet hours for a cron job") is about the tool, as for the asks."""
    for key, rule in (*_RULES, *_MORE, *_WALK_2, *_WALK_3):
        if (not names_a_tool or key in _ABOUT_LESSONS) and rule.search(text):
            return key
    return None
