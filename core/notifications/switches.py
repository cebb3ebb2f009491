"""The /settings view and its switches, shared by the command, its buttons and `asked`."""

from __future__ import annotations

import re
from typing import Any

from core.audit import audit
from core.context import Context
from core.digest import service as digest
from core.localtime import zone_label
from core.notifications import KINDS, Kind, set_muted, wants
from core.replies import ButtonSpec, Reply

KIND_WORDS: dict[str, tuple[Kind, ...]] = {
    **dict.fromkeys(
        ("digest", "digests", "summary", "newsletter", "摘要", "推送", "每周推荐", "周报"),
        ("digest",),
    ),
    **dict.fromkeys(
        ("streak", "streaks", "nudge", "nudges", "连续学习", "打卡", "学习提醒", "打卡提醒"),
        ("streak",),
    ),
    **dict.fromkeys(("level", "levels", "level-ups", "levelups", "升级", "等级"), ("levels",)),
    **dict.fromkeys(
        ("event", "events", "workshop", "workshops", "活动", "活动提醒", "直播"), ("events",)
    ),
    **dict.fromkeys(
        ("invites", "invitations", "invite", "experts", "answering", "邀请", "回答邀请"),
        ("invites",),
    ),
    **dict.fromkeys(("reminders", "reminder", "提醒"), ("streak", "events")),
    **dict.fromkeys(("all", "everything", "全部", "所有", "都"), KINDS),
}
"""What members call each kind ("reminders" are both the streak's and the events')."""
ON_WORDS = frozenset({"on", "yes", "enable", "start", "unmute", "开", "开启", "打开", "恢复"})
OFF_WORDS = frozenset(
    {"off", "no", "disable", "stop", "mute", "none", "关", "关闭", "关掉", "停", "停止", "不要"}
)
_TOKEN = re.compile(
    r"[a-z][a-z-]*|"
    + "|".join(
        sorted(
            (w for w in [*KIND_WORDS, *ON_WORDS, *OFF_WORDS] if not w.isascii()),
            key=len,
            reverse=True,
        )
    )
)


def parse(args: str) -> tuple[tuple[Kind, ...], bool] | None:
    """`/settings streak off`, `/settings off events`, `/settings 关闭 活动提醒`, `/settings all
    on`: the kinds named (all when none is) and whether they go on; None if it is not that."""
    words = _TOKEN.findall(args.lower())
    kinds: list[Kind] = []
    switch: set[bool] = set()
    for w in words:
        if w in KIND_WORDS:
            kinds += [k for k in KIND_WORDS[w] if k not in kinds]
        elif w in ON_WORDS:
            switch.add(True)
        elif w in OFF_WORDS:
            switch.add(False)
        else:
            return None
    if len(switch) != 1:
        return None
    return tuple(kinds) or KINDS, switch.pop()


def _state(ctx: Context, kind: Kind) -> str:
    m = ctx.member
    if kind == "digest" and m.digest_frequency != "off":
        when = digest.how_often(m.digest_frequency, m.digest_weekday, ctx.locale)
        return ctx.t("notify.digest_on", when=when, hour=f"{m.digest_hour:02d}:00")
    if kind == "streak" and m.digest_frequency == "off":
        return ctx.t("notify.with_digest")
    return ctx.t("notify.on") if wants(m, kind) else ctx.t("notify.off")


def view(ctx: Context, note: str = "") -> Reply:
    """The member's settings, one line and one button per kind."""
    m = ctx.member
    lines = [note, ctx.t("notify.header")] if note else [ctx.t("notify.header")]
    lines += [f"• {ctx.t(f'notify.kind_{k}')}: {_state(ctx, k)}" for k in KINDS]
    if m.quiet_start is not None and m.quiet_end is not None:
        span = f"{m.quiet_start:02d}:00–{m.quiet_end:02d}:00"
        lines.append(ctx.t("notify.quiet", span=span, tz=zone_label(m.timezone)))
    else:
        lines.append(ctx.t("notify.quiet_none"))
    lines += [ctx.t("notify.always"), ctx.t("notify.how")]
    buttons = [
        ButtonSpec(
            ctx.t(
                "notify.btn_off" if wants(m, k) else "notify.btn_on",
                what=ctx.t(f"notify.short_{k}"),
            ),
            data=ctx.sign("nset", k, "0" if wants(m, k) else "1"),
        )
        for k in KINDS
        if not (k == "streak" and m.digest_frequency == "off")
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    if any(wants(m, k) for k in KINDS):
        rows.append([ButtonSpec(ctx.t("notify.btn_all_off"), data=ctx.sign("nset", "all", "0"))])
    return Reply("\n".join(lines), buttons=rows)


async def switch(ctx: Context, kinds: tuple[Kind, ...], on: bool) -> str:
    """Switch the kinds; returns the confirmation. Audited like /digest's own changes."""
    m = ctx.member
    before: dict[str, Any] = {k: wants(m, k) for k in KINDS}
    for k in kinds:
        if k == "digest":
            if (m.digest_frequency != "off") != on:
                await digest.change(ctx.session, ctx.clock, m, "on" if on else "off")
        elif k == "invites":
            m.expert_opt_out = not on
        else:  # kept as switched, even while the digest that streak reminders need is off
            set_muted(m, k, not on)
    after: dict[str, Any] = {k: wants(m, k) for k in KINDS}
    if after != before:
        await audit(
            ctx.session,
            ctx.clock,
            actor=f"member:{m.id}",
            actor_member_id=m.id,
            action="notifications.settings",
            target=f"member:{m.id}",
            before=before,
            after=after,
        )
    names = ctx.t("notify.and").join(ctx.t(f"notify.short_{k}") for k in kinds)
    if kinds == KINDS:
        return ctx.t("notify.all_on" if on else "notify.all_off")
    if on and "streak" in kinds and m.digest_frequency == "off":
        return ctx.t("notify.streak_needs_digest")
    return ctx.t("notify.switched_on" if on else "notify.switched_off", what=names)
