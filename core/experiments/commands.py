"""/experiment (moderators): create, list, stop, report with a chart."""

from __future__ import annotations

from sqlalchemy import select

from core.context import Context, Role
from core.experiments import service
from core.experiments.errors import (
    ExperimentCreateUsageError,
    ExperimentUsageError,
    NoExperimentError,
    WhichExperimentError,
)
from core.localtime import local_time
from core.replies import AnyReply, Photo, Reply
from core.router import command
from models.experiments import Experiment


@command(
    "experiment", role=Role.MODERATOR, help_key="help.experiment", usage_key="usage.experiment"
)
async def experiment_cmd(ctx: Context, args: str) -> list[AnyReply]:
    words = args.split()
    verb = VERBS.get(words[0].lower(), words[0].lower()) if words else ""
    rows = list(
        (await ctx.session.execute(select(Experiment).order_by(Experiment.id))).scalars().all()
    )
    if verb == "" or verb == "list":
        if not rows:
            return [Reply(ctx.t("experiments.none"))]
        lines = [ctx.t("experiments.list_header")]
        for e in rows:
            split = ", ".join(f"{v['name']} {v['weight']:g}" for v in e.variants)
            lines.append(f"• {e.name} [{e.status}] {e.metric}: {split}")
        return [Reply("\n".join(lines))]
    if verb == "create":
        if len(words) not in (4, 5):
            raise ExperimentCreateUsageError(", ".join(service.METRICS), ", ".join(service.PARAMS))
        _, name, metric, spec, *rest = words
        variants = service.parse_variants(spec)
        exp = await service.create(
            ctx.session,
            ctx.clock,
            name=name,
            metric=metric,
            variants=variants,
            target=rest[0] if rest else "",
            created_by=ctx.member.id,
        )
        return [Reply(ctx.t("experiments.created", name=exp.name, n=len(variants), metric=metric))]
    if verb in ("stop", "report"):
        name = words[1] if len(words) == 2 else _the_one(rows, verb, words[1:])
        return await (_stop if verb == "stop" else _report)(ctx, name)
    if len(words) == 1 and any(e.name == words[0].lower() for e in rows):
        return await _report(ctx, words[0].lower())  # `/experiment NAME` reads its report
    raise ExperimentUsageError()


VERBS = {
    "new": "create",  # as /codes new, /event new
    "add": "create",
    "start": "create",
    "results": "report",
    "result": "report",
    "show": "report",
    "status": "report",
    "end": "stop",
    "off": "stop",
    "finish": "stop",
}
"""The words moderators reach for first, read as the verb they mean."""


def _the_one(rows: list[Experiment], verb: str, rest: list[str]) -> str:
    """A bare `/experiment report|stop` means the one experiment it can apply to: the one
    running for stop, the only one for report. Otherwise the moderator is asked which."""
    fits = [e for e in rows if verb == "report" or e.stopped_at is None]
    if not rest and len(fits) == 1:
        return fits[0].name
    if not fits:
        raise NoExperimentError("none" if verb == "report" else "none_running")
    raise WhichExperimentError(verb, ", ".join(e.name for e in fits))


async def _stop(ctx: Context, name: str) -> list[AnyReply]:
    was = (await service.get(ctx.session, name)).stopped_at
    exp = await service.stop(ctx.session, ctx.clock, name, ctx.member.id)
    if was is not None:
        when = local_time(was, ctx.member.timezone)
        return [Reply(ctx.t("experiments.already_stopped", name=exp.name, when=when))]
    return [Reply(ctx.t("experiments.stopped", name=exp.name))]


async def _report(ctx: Context, name: str) -> list[AnyReply]:
    rep = await service.report(ctx.session, name, ctx.clock.now())
    out: list[AnyReply] = [Reply(render_report(rep, ctx.t))]
    if rep.daily:
        out.append(
            Photo(
                service.chart_png(rep),
                caption=ctx.t("experiments.chart_caption", name=rep.name),
                filename=f"experiment-{rep.name}.png",
            )
        )
    return out


def render_report(rep: service.Report, t) -> str:  # type: ignore[no-untyped-def]
    """Plain text a moderator can read: per variant n, rate with CI, lift vs control, p."""
    lines = [t("experiments.report_header", name=rep.name, metric=rep.metric, status=rep.status)]
    for i, v in enumerate(rep.variants):
        line = t(
            "experiments.report_row",
            variant=v.name,
            n=v.n,
            conversions=v.conversions,
            rate=f"{v.rate * 100:.1f}%",
            low=f"{v.ci[0] * 100:.1f}%",
            high=f"{v.ci[1] * 100:.1f}%",
        )
        if i == 0:
            line += " " + t("experiments.control")
        elif v.test is not None:
            lift = "n/a" if v.test.lift is None else f"{v.test.lift * 100:+.1f}%"
            line += " " + t(
                "experiments.vs_control", lift=lift, z=f"{v.test.z:.2f}", p=f"{v.test.p_value:.3g}"
            )
        lines.append(line)
    lines.append(t("experiments.method"))
    lines.append(
        t(
            "experiments.srm",
            p=f"{rep.srm.p_value:.3g}",
            state=t("experiments.srm_bad" if rep.srm.mismatch else "experiments.srm_ok"),
        )
    )
    if rep.guardrail_alarm:
        lines.append(t("experiments.guardrail_alarm"))
    lines.append(t(rep.verdict, **rep.verdict_params))
    return "\n".join(lines)
