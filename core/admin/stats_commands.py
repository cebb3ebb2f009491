"""/stats: the growth numbers as text, a PNG dashboard, and (with `csv`) the CSV export."""

from __future__ import annotations

from core.admin import analytics, charts
from core.admin.analytics import Stats
from core.admin.args import parse_days
from core.admin.guard import admin_command
from core.context import Context
from core.errors import BadArguments
from core.i18n import has_key
from core.replies import AnyReply, Document, Photo, Reply


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{v * 100:.1f}%"


def _state(ctx: Context, state: str) -> str:
    """A membership state in the moderator's language (the code itself if unknown)."""
    key = f"stats.state.{state}"
    return ctx.t(key) if has_key(key) else state


def summary(ctx: Context, st: Stats) -> str:
    sep = "，" if ctx.locale == "zh-CN" else ", "  # a Chinese list takes the full-width comma
    states = sep.join(f"{_state(ctx, k)} {v}" for k, v in st.members_by_state.items()) or "-"
    mrr = sep.join(analytics.money(v, c) for c, v in st.mrr.items()) or "-"
    hours = (
        "-"
        if st.median_answer_hours is None  # no answer yet: no unit after the dash
        else ctx.t("stats.hours", hours=st.median_answer_hours)
    )
    return "\n".join(
        [
            ctx.t("stats.head", since=f"{st.since:%Y-%m-%d}", until=f"{st.until:%Y-%m-%d}"),
            ctx.t("stats.members", total=st.members_total, states=states),
            ctx.t(
                "stats.flow",
                new=st.new,
                paying=st.new_paying,
                churned=st.churned,
                net=f"{st.net:+d}",
            ),
            ctx.t("stats.mrr", mrr=mrr),
            ctx.t(
                "stats.trials",
                claims=st.trials,
                converted=st.trials_converted,
                rate=_pct(st.conversion),
            ),
            *(
                [ctx.t("stats.gifts", n=st.gifts, seats=st.gift_seats, used=st.gift_seats_used)]
                if st.gifts
                else []
            ),
            ctx.t("stats.questions", asked=st.questions, answered=st.answered, hours=hours),
            ctx.t(
                "stats.qa",
                bot=st.bot_answered,
                asked=st.questions,
                rate=_pct(st.bot_answered / st.questions if st.questions else None),
                up=st.helpful,
                down=st.unhelpful,
                threads=st.threads,
                solved=st.threads_solved,
                stale=st.threads_stale,
                failed=st.threads_failed,
            ),
            ctx.t(
                "stats.digest",
                sent=st.digests_sent,
                open=_pct(st.open_rate),
                click=_pct(st.click_rate),
            ),
            ctx.t(
                "stats.recommend",
                clicks=st.rec_clicks,
                shown=st.rec_impressions,
                ctr=_pct(st.rec_ctr),
            ),
        ]
    )


PERIOD_WORDS = {"week": 7, "month": 30, "quarter": 91, "year": 365, "周": 7, "月": 30, "年": 365}
PERIOD_WORDS |= {"本周": 7, "这周": 7, "本月": 30, "这个月": 30, "季度": 91, "今年": 365}
PERIOD_WORDS |= {"weekly": 7, "monthly": 30, "quarterly": 91, "yearly": 365, "annual": 365}
"""`/stats week` as moderators say it (it was the usage); lengths too: "2 weeks", "30天"."""


@admin_command("stats", usage_key="usage.stats")
async def stats_cmd(ctx: Context, args: str) -> list[AnyReply]:
    """`/stats [DAYS] [csv]`: DAYS is the window for flows and rates (default 30, at most 366)."""
    words = args.lower().split()
    want_csv = "csv" in words
    said = " ".join(w for w in words if w != "csv")
    usage = BadArguments("errors.usage", usage=ctx.t("usage.stats"))
    days = PERIOD_WORDS.get(said, 30)
    if said and said not in PERIOD_WORDS:
        try:
            days = parse_days(said)  # 1 day or more, or refused
        except BadArguments:
            raise usage from None
        if days > 366:
            raise usage
    st = await analytics.compute(ctx.session, ctx.clock.now(), days)
    png, fell_back = charts.render(st, ctx.locale)
    caption = ctx.t("stats.chart_caption", days=days)
    if fell_back:
        caption += "\n" + ctx.t("stats.chart_no_cjk_font")
    out: list[AnyReply] = [Reply(summary(ctx, st)), Photo(png, caption, "stats.png")]
    if want_csv:
        out.append(
            Document(
                analytics.to_csv(st).encode(), f"stats-{st.until:%Y%m%d}.csv", ctx.t("stats.csv")
            )
        )
    return out
