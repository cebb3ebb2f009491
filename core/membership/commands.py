"""Member commands: /plans, /subscribe PLAN, /status, /cancel, /resume; plan sync at start-up."""

from __future__ import annotations

from core.common.home import home_line
from core.context import Context, Services
from core.events import MemberJoined
from core.hooks import on_startup
from core.membership import grants, invites, plans, service  # noqa: F401  (invites: /invite)
from core.membership.errors import MembershipError
from core.membership.joins import on_join
from core.payments import checkout
from core.payments.ledger import in_transaction
from core.replies import AnyReply, ButtonSpec, Reply
from core.router import button, command, on_event
from models.membership import Plan


@on_startup
async def sync_plans_at_start(services: Services) -> None:
    """Config plans into the plan table (idempotent; moderator edits are kept)."""
    await in_transaction(services, lambda s: plans.sync_plans(s, services.settings, services.clock))


@command("plans", help_key="membership.help_plans")
async def plans_cmd(ctx: Context, args: str) -> list[AnyReply]:
    sub, _, rest = args.strip().partition(" ")
    if sub.lower() == "edit":  # `/plans edit …` is the moderators' /planedit
        from core.router import run_command

        return await run_command(ctx, "planedit", rest)
    return await _plans(ctx)


async def _plans(ctx: Context) -> list[AnyReply]:
    rows = await plans.list_plans(ctx.session)
    if not rows:
        return [Reply(ctx.t("membership.no_plans"))]
    # in a private chat the list is the member's own: no trial or purchase that would be
    # refused, and where they stand; a group sees the plans as they are
    private = ctx.event.chat.kind == "private"
    no_trial, renewing = (
        await service.not_offered(ctx.session, ctx.member) if private else (set(), set())
    )
    if not await service.trial_available(ctx.session, ctx.member.id):
        no_trial = {p.id for p in rows}
    elif private:  # a plan theirs already covers: its trial would add nothing
        no_trial |= set(await service.covered_by(ctx.session, ctx.member, rows))
    lines = [ctx.t("membership.plans_header")]
    buttons: list[list[ButtonSpec]] = []
    for p in rows:
        period = period_text(ctx, p.period_days)
        sold = [
            pr
            for prov in checkout.providers_for(ctx.services, ctx.event.actor.platform)
            if (pr := plans.price(p, prov)) is not None
        ]
        prices = ", ".join(plans.format_amount(*pr) for pr in sold) or ctx.t("membership.by_code")
        lines.append(
            ctx.t(
                "membership.plan_line",
                title=plans.title(p, ctx.locale),
                code=p.code,
                period=period,
                prices=prices,
            )
        )
        trial_ok = bool(p.trial_days) and p.id not in no_trial
        if trial_ok:
            lines.append("  " + ctx.t("membership.plan_trial", days=p.trial_days))
        row = [
            ButtonSpec(
                ctx.t("membership.button_subscribe", plan=plans.title(p, ctx.locale)),
                data=ctx.sign("msub", p.code),
            )
            for _ in sold[:1]  # only plans that can be bought here get a Buy button
            if p.id not in renewing  # it renews by itself: not sold twice
        ]
        if trial_ok:
            row.append(
                ButtonSpec(
                    ctx.t(
                        "membership.button_trial",
                        days=p.trial_days,
                        plan=plans.title(p, ctx.locale),
                    ),
                    data=ctx.sign("mtrial", p.code),
                )
            )
        if row:
            buttons.append(row)
    lines.append(ctx.t("membership.plans_footer"))
    mine = await service.status_lines(ctx.session, ctx.services, ctx.member) if private else []
    if mine:
        lines += ["", ctx.t("membership.status_header"), *mine]
    return [Reply("\n".join(lines), buttons=buttons)]


def period_text(ctx: Context, days: int) -> str:
    """A plan's period as members read it: "30 days", "lifetime" (0)."""
    if days == 0:
        return ctx.t("membership.period_lifetime")
    return ctx.t("membership.period_days", days=days)


async def _named(ctx: Context, typed: str, action: str) -> Plan | list[AnyReply]:
    """The plan `/subscribe` or `/trial` names; a near miss ("montly") is answered with a
    tap on the plan it most likely means, to buy or try it, and nothing changes."""
    try:
        return await plans.get_plan(ctx.session, typed)
    except MembershipError as err:
        if err.key != "membership.plan_unknown_near":
            raise
        near = await plans.get_plan(ctx.session, err.params["near"])
        # named as the member reads it ("月度会员"); moderators' commands keep the code
        text = ctx.t(err.key, **{**err.params, "near": plans.title(near, ctx.locale)})
    if action == "mtrial":
        if not near.trial_days:
            return [Reply(text)]
        label = ctx.t(
            "membership.button_trial", days=near.trial_days, plan=plans.title(near, ctx.locale)
        )
    else:
        label = ctx.t("membership.button_subscribe", plan=plans.title(near, ctx.locale))
    return [Reply(text, buttons=[[ButtonSpec(label, data=ctx.sign(action, near.code))]])]


async def _subscribe(ctx: Context, code: str) -> list[AnyReply]:
    if not code.strip():
        raise MembershipError("usage_subscribe")
    plan = await _named(ctx, code.split()[0], "msub")
    if not isinstance(plan, Plan):
        return plan
    notes = await service.before_buying(ctx.session, ctx.services, ctx.member, plan)
    replies = await checkout.offer(
        ctx.session, ctx.services, ctx.member, ctx.event.actor.platform, plan
    )
    return service.for_self(ctx.member.id, [*notes, *replies])


@command("subscribe", help_key="membership.help_subscribe", usage_key="membership.usage_subscribe")
async def subscribe_cmd(ctx: Context, args: str) -> list[AnyReply]:
    if not args.strip():  # a member who has not picked a plan yet gets the plans to pick from
        return await _plans(ctx)
    return await _subscribe(ctx, args)


@button("msub")
async def subscribe_button(ctx: Context, parts: list[str]) -> list[AnyReply]:
    return await _subscribe(ctx, parts[0] if parts else "")


@button("mtrial")
async def trial_button(ctx: Context, parts: list[str]) -> list[AnyReply]:
    plan = await plans.get_plan(ctx.session, parts[0] if parts else "")
    return service.for_self(
        ctx.member.id, await service.start_trial(ctx.session, ctx.services, ctx.member, plan)
    )


@command("trial", help_key="membership.help_trial", usage_key="membership.usage_trial")
async def trial_cmd(ctx: Context, args: str) -> list[AnyReply]:
    """`/trial PLAN` is what members type for the plans' "Try free" button; a bare `/trial`
    shows the plans with their trial buttons, or says the one trial is already used."""
    if not args.strip():
        await service.refuse_second_trial(ctx.session, ctx.member)  # passes if none used
        return await _plans(ctx)
    plan = await _named(ctx, args, "mtrial")
    if not isinstance(plan, Plan):
        return plan
    return service.for_self(
        ctx.member.id, await service.start_trial(ctx.session, ctx.services, ctx.member, plan)
    )


@command("status", help_key="membership.help_status")
async def status_cmd(ctx: Context, args: str) -> list[AnyReply]:
    return await _status(ctx)


async def _status(ctx: Context) -> list[AnyReply]:
    lines = await service.status_lines(ctx.session, ctx.services, ctx.member)
    if not lines:  # where to start: a free trial, while they still have theirs
        trial = await _a_trial(ctx)
        text = ctx.t("membership.status_none_trial", code=trial) if trial else None
        return [Reply(text or ctx.t("membership.status_none"), ephemeral=True)]
    if await grants.opens_chats(ctx.session, ctx.member.id):  # a way in, should the link be lost
        lines.append(ctx.t("membership.status_invite"))
    # their plan and dates are theirs: never posted for a whole group to read
    return [Reply("\n".join([ctx.t("membership.status_header"), *lines]), ephemeral=True)]


async def _plan_named(ctx: Context, args: str) -> str | None:
    """The plan an optional argument names (any plan, even one no longer sold), or None."""
    word = args.strip().split()[0] if args.strip() else None
    return (
        None if word is None else (await plans.get_plan(ctx.session, word, active_only=False)).code
    )


EVERY_PLAN = {"all", "both", "everything", "all plans", "全部", "所有", "都"}
"""Typed after /cancel or /resume: every plan it would change, as its "all" button."""


@command("cancel", help_key="membership.help_cancel", usage_key="membership.usage_cancel")
async def cancel_cmd(ctx: Context, args: str) -> list[AnyReply]:
    every = " ".join(args.lower().split()) in EVERY_PLAN
    code = None if every else await _plan_named(ctx, args)
    if (
        not every
        and code is None
        and len(rows := await service.cancellable(ctx.session, ctx.member)) > 1
    ):
        return _which_plan(ctx, "cancel", [plan for _, plan in rows])
    return service.for_self(
        ctx.member.id, await service.cancel(ctx.session, ctx.services, ctx.member, code)
    )


@button("mcancel")
async def cancel_button(ctx: Context, parts: list[str]) -> list[AnyReply]:
    """One plan of /cancel's choice, or all of them (no code)."""
    return service.for_self(
        ctx.member.id,
        await service.cancel(ctx.session, ctx.services, ctx.member, parts[0] if parts else None),
    )


def _which_plan(ctx: Context, verb: str, choices: list[Plan]) -> list[AnyReply]:
    """/cancel or /resume with no plan named when it would change several: a button per
    plan, and one for all of them (money and access change only on the member's pick)."""
    prefix = f"m{verb}"
    buttons = [
        [
            ButtonSpec(
                ctx.t(f"membership.{verb}_one", plan=plans.title(plan, ctx.locale)),
                data=ctx.sign(prefix, plan.code),
            )
        ]
        for plan in choices
    ]
    buttons.append([ButtonSpec(ctx.t(f"membership.{verb}_all"), data=ctx.sign(prefix))])
    text = ctx.t(f"membership.{verb}_which", n=len(choices))
    return [Reply(text, buttons=buttons, ephemeral=True)]


@command("resume", help_key="membership.help_resume", usage_key="membership.usage_resume")
async def resume_cmd(ctx: Context, args: str) -> list[AnyReply]:
    every = " ".join(args.lower().split()) in EVERY_PLAN
    code = None if every else await _plan_named(ctx, args)
    if (
        code is None and not every
    ):  # a free trial is not resumed (it is told so), so it is no choice
        rows = await service.resumable(ctx.session, ctx.member, ctx.clock.now())
        if len(paid := [plan for sub, plan in rows if sub.source != "trial"]) > 1:
            return _which_plan(ctx, "resume", paid)
    return service.for_self(
        ctx.member.id, await service.resume(ctx.session, ctx.services, ctx.member, code)
    )


@button("mresume")
async def resume_button(ctx: Context, parts: list[str]) -> list[AnyReply]:
    """One plan of /resume's choice, or all of them (no code)."""
    return service.for_self(
        ctx.member.id,
        await service.resume(ctx.session, ctx.services, ctx.member, parts[0] if parts else None),
    )


@on_event(MemberJoined)
async def member_joined(ctx: Context, event: MemberJoined) -> list[AnyReply]:
    return await on_join(ctx, event)


async def _a_trial(ctx: Context) -> str | None:
    """The code of the first plan on sale with a free trial, if the member has theirs."""
    if not await service.trial_available(ctx.session, ctx.member.id):
        return None
    return next((p.code for p in await plans.list_plans(ctx.session) if p.trial_days), None)


@home_line(10)
async def plan_at_home(ctx: Context) -> str | None:
    """/start for a returning member: their plan as /status says it, or how to get one."""
    lines = await service.status_lines(ctx.session, ctx.services, ctx.member)
    if lines:
        return lines[0].lstrip("• ")
    trial = await _a_trial(ctx)
    return ctx.t("membership.home_none_trial" if trial else "membership.home_none")
