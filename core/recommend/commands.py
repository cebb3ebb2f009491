"""/recommend and /peers: thin handlers over core.recommend.service."""

from __future__ import annotations

from core.catalog import service as catalog_service
from core.catalog import topics
from core.catalog.topics import Topics
from core.common.switch import turned
from core.context import Context
from core.errors import BadArguments
from core.i18n import translate
from core.recommend import intros, service, sessions
from core.recommend.serving import Explanation
from core.replies import AnyReply, ButtonSpec, Reply
from core.router import button, command
from models.member import Member

MAX_K = 10


def _why(ctx: Context, e: Explanation, names: Topics) -> str:
    return ctx.t(e.key, **names.named(e.params, ctx.locale))


@command("recommend", help_key="help.recommend", usage_key="usage.recommend")
async def recommend(ctx: Context, args: str) -> list[AnyReply]:
    arg = args.strip().lower()
    if arg == "stop" or turned(arg) is False:
        ctx.member.recommend_opt_out = True
        return [Reply(ctx.t("recommend.opted_out"))]
    if turned(arg):
        ctx.member.recommend_opt_out = False
        return [Reply(ctx.t("recommend.opted_in"))]
    if arg and arg.isdecimal() and not 1 <= int(arg) <= MAX_K:
        raise BadArguments("errors.usage", usage=ctx.t("usage.recommend"))
    if ctx.member.recommend_opt_out:
        return [Reply(ctx.t("recommend.is_off"))]
    names = await topics.load(ctx.session)
    if arg and not arg.isdecimal():  # "/recommend sql": the member's own order, on that topic
        return await _on_topic(ctx, args.strip()[:100], names)
    k = int(arg) if arg else 5
    recs = await service.recommend_for(ctx.services, ctx.session, ctx.member.id, k)
    if not recs:
        return [Reply(ctx.t("recommend.empty"))]
    return await _listed(ctx, recs, ctx.t("recommend.header"), names)


async def _on_topic(ctx: Context, query: str, names: Topics) -> list[AnyReply]:
    """Suggestions among the courses a search for ``query`` finds (a topic's name in either
    language, a word of a title), ranked for this member as /recommend ranks them."""
    courses = await catalog_service.visible_courses(ctx.session)
    found, query = catalog_service.search_spelled(courses, query, names, ctx.locale)
    matching = {c.id for c in found}
    if not matching:
        return [Reply(ctx.t("recommend.topic_unknown", query=query))]
    every = await service.recommend_for(ctx.services, ctx.session, ctx.member.id, len(courses))
    recs = [r for r in every if r.course_id in matching][:5]
    if not recs:
        return [Reply(ctx.t("recommend.topic_done", query=query))]
    return await _listed(ctx, recs, ctx.t("recommend.header_topic", query=query), names)


async def _listed(
    ctx: Context, recs: list[service.Recommendation], header: str, names: Topics
) -> list[AnyReply]:
    lines = [header]
    taps: list[ButtonSpec] = []
    for n, r in enumerate(recs, 1):
        title = r.title_zh if ctx.locale == "zh-CN" and r.title_zh else r.title
        why = _why(ctx, r.explanation, names)
        lines.append(ctx.t("recommend.item", n=n, title=title, why=why))
        taps.append(ButtonSpec(str(n), data=ctx.sign("catv", r.course_id, "rec")))
    lines.append(ctx.t("recommend.tap_hint"))
    catalog_service.remember_listed(ctx.member, [r.course_id for r in recs], ctx.clock.now())
    # One impression row per list, courses in meta: without a course_id the row never
    # reaches the recommender's training data, and /stats counts the courses shown.
    await catalog_service.record(
        ctx.session,
        ctx.clock,
        ctx.member.id,
        "recommend_shown",
        source="recommend",
        meta={"courses": [r.course_id for r in recs]},
    )
    return [Reply("\n".join(lines), buttons=[taps[i : i + 5] for i in range(0, len(taps), 5)])]


@command("peers", help_key="help.peers", usage_key="usage.peers")
async def peers(ctx: Context, args: str) -> list[AnyReply]:
    arg = args.strip().lower()
    if turned(arg):
        was_in, ctx.member.peer_opt_in = ctx.member.peer_opt_in, True
        key = "recommend.peers_already_in" if was_in else "recommend.peers_opted_in"
        return [Reply(ctx.t(key))]
    if turned(arg) is False:
        ctx.member.peer_opt_in = False
        return [Reply(ctx.t("recommend.peers_opted_out"))]
    if arg:
        raise BadArguments("errors.usage", usage=ctx.t("usage.peers"))
    if not ctx.member.peer_opt_in:
        return [Reply(ctx.t("recommend.peers_not_opted_in"))]
    found = await service.peers_for(ctx.services, ctx.session, ctx.member.id, 3)
    known = await _introduced(ctx)
    if not found and not known:
        return [Reply(ctx.t("recommend.peers_none"))]
    lines = [ctx.t("recommend.peers_header") if found else ctx.t("recommend.peers_none")]
    names = await topics.load(ctx.session)
    buttons: list[list[ButtonSpec]] = []
    for p in found:
        name = p.display_name or f"#{p.member_id}"
        why = _why(ctx, p.explanation, names)
        lines.append(ctx.t("recommend.peers_item", name=name, why=why))
        hi = ctx.t("recommend.btn_say_hi", name=name)
        # 📚 only for partners met (below): a stranger was sent "Carol says you had a study
        # session together", one tap from a list of suggestions
        buttons.append([ButtonSpec(hi, ctx.sign("phi", p.member_id))])
    if known:  # the partners already met: the ones a study session is most likely with
        lines.append(ctx.t("recommend.peers_introduced", names=", ".join(map(_name, known))))
        buttons += [
            [ButtonSpec(ctx.t("recommend.btn_studied", name=_name(m)), ctx.sign("pses", m.id))]
            for m in known
        ]
    lines.append(ctx.t("recommend.peers_session_hint"))
    return [Reply("\n".join(lines), buttons=buttons)]


async def _introduced(ctx: Context) -> list[Member]:
    """Up to three partners this member was introduced to who still take part."""
    out = []
    for pid in intros.introduced_ids(ctx.member):
        if (m := await _partner(ctx, [str(pid)])) is not None:
            out.append(m)
        if len(out) == 3:
            break
    return out


async def _partner(ctx: Context, parts: list[str]) -> Member | None:
    """The other member of a /peers button, while both still take part."""
    partner = (
        await ctx.session.get(Member, int(parts[0])) if parts and parts[0].isdecimal() else None
    )
    me = ctx.member
    if (
        partner is None
        or partner.id == me.id
        or partner.forgotten_at is not None
        or partner.role == "banned"
        or not (me.peer_opt_in and partner.peer_opt_in)
    ):
        return None
    return partner


def _name(m: Member) -> str:
    return m.display_name or f"#{m.id}"


@button("phi")
async def say_hi(ctx: Context, parts: list[str]) -> list[AnyReply]:
    """Ask a suggested partner, privately, whether they want to be introduced."""
    partner = await _partner(ctx, parts)
    if partner is None:
        return [Reply(ctx.t("recommend.session_unavailable"))]
    if intros.introduced(ctx.member, partner.id):
        return [await _already_introduced(ctx, partner)]
    if not intros.ask(ctx.member, partner.id, ctx.clock.now()):
        return [Reply(ctx.t("recommend.hi_already", name=_name(partner)))]
    ask = translate(partner.locale, "recommend.hi_ask", name=_name(ctx.member))
    yes = translate(partner.locale, "recommend.btn_hi_yes")
    return [
        Reply(ctx.t("recommend.hi_sent", name=_name(partner))),
        Reply(
            ask, buttons=[[ButtonSpec(yes, ctx.sign("phok", ctx.member.id))]], member_id=partner.id
        ),
    ]


async def _already_introduced(ctx: Context, partner: Member) -> Reply:
    contact = ", ".join(await intros.handles(ctx.session, partner.id))
    return Reply(
        ctx.t(
            "recommend.hi_already_introduced",
            name=_name(partner),
            contact=contact or ctx.t("recommend.hi_no_handle"),
        )
    )


@button("phok")
async def hi_accepted(ctx: Context, parts: list[str]) -> list[AnyReply]:
    """The partner agreed: each gets the other's handles (or is told there is none)."""
    requester = await _partner(ctx, parts)
    if requester is not None and intros.introduced(ctx.member, requester.id):
        return [await _already_introduced(ctx, requester)]  # a second tap: nobody is told twice
    if requester is None or not intros.answerable(requester, ctx.member.id, ctx.clock.now()):
        return [Reply(ctx.t("recommend.hi_expired"))]
    intros.introduce(requester, ctx.member, ctx.clock.now())
    theirs = await intros.handles(ctx.session, requester.id)
    mine = await intros.handles(ctx.session, ctx.member.id)
    none_me = translate(requester.locale, "recommend.hi_no_handle")
    told = translate(
        requester.locale,
        "recommend.hi_introduced",
        name=_name(ctx.member),
        contact=", ".join(mine) or none_me,
    )
    return [
        Reply(
            ctx.t(
                "recommend.hi_introduced",
                name=_name(requester),
                contact=", ".join(theirs) or ctx.t("recommend.hi_no_handle"),
            )
        ),
        Reply(told, member_id=requester.id),
    ]


@button("pses")
async def studied_together(ctx: Context, parts: list[str]) -> list[AnyReply]:
    """ "We studied together": the first press asks the partner, the partner's press confirms."""
    partner = await _partner(ctx, parts)
    me = ctx.member
    if partner is None:
        return [Reply(ctx.t("recommend.session_unavailable"))]
    now = ctx.clock.now()
    name, my_name = _name(partner), _name(me)
    if await sessions.recorded_lately(ctx.session, me.id, partner.id, now):
        return [Reply(ctx.t("recommend.session_recorded", name=name))]
    if sessions.claimed_by(me, partner.id, now):
        return [Reply(ctx.t("recommend.session_already_asked", name=name))]
    if partner.id not in intros.introduced_ids(me) and not sessions.claimed_by(partner, me.id, now):
        return [Reply(ctx.t("recommend.session_not_introduced", name=name))]
    if await sessions.claim_or_confirm(ctx.session, me, partner, now):
        told = translate(partner.locale, "recommend.session_confirmed", name=my_name)
        return [
            Reply(ctx.t("recommend.session_confirmed", name=name)),
            Reply(told, member_id=partner.id),
        ]
    ask = translate(partner.locale, "recommend.session_confirm_please", name=my_name)
    confirm = translate(partner.locale, "recommend.btn_confirm_session")
    return [
        Reply(ctx.t("recommend.session_asked", name=name)),
        Reply(ask, buttons=[[ButtonSpec(confirm, ctx.sign("pses", me.id))]], member_id=partner.id),
    ]
