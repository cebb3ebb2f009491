"""/certificate: a member's certificates of completion, checking one by its code, and (for
moderators) revoking one."""

from __future__ import annotations

from core.catalog import certificates, service
from core.context import Context
from core.errors import NotAllowed
from core.replies import AnyReply, ButtonSpec, Reply
from core.router import command
from models.catalog import Certificate

CHECK_WORDS = frozenset({"check", "verify", "验证", "查验"})
REVOKE_WORDS = frozenset({"revoke", "撤销"})


def _title(ctx: Context, cert: Certificate) -> str:
    return (
        cert.course_title_zh
        if ctx.locale == "zh-CN" and cert.course_title_zh
        else cert.course_title
    )


def card(ctx: Context, cert: Certificate) -> Reply:
    """One certificate as its holder reads it, with the check page and LinkedIn's button."""
    public = ctx.settings.public_url
    lines = [
        f"🎓 {_title(ctx, cert)}",
        ctx.t(
            "catalog.cert_body",
            name=cert.name,
            lessons=cert.lessons,
            hours=service.hours(cert.minutes),
            day=certificates.day_of(cert, ctx.timezone),
            community=ctx.settings.community_name,
        ),
        ctx.t("catalog.cert_id", code=cert.code),
    ]
    if cert.revoked_at is not None:
        lines.append(ctx.t("catalog.cert_revoked_mark"))
    url = certificates.check_url(public, cert)
    lines.append(
        ctx.t("catalog.cert_check", url=url)
        if url
        else ctx.t("catalog.cert_check_bot", code=cert.code)
    )
    row = [
        ButtonSpec(
            ctx.t("catalog.cert_btn_linkedin"),
            url=certificates.linkedin_url(cert, ctx.settings.community_name, public),
        )
    ]
    if url:
        row.append(ButtonSpec(ctx.t("catalog.cert_btn_open"), url=url))
    return Reply("\n".join(lines), buttons=[row])


async def _check(ctx: Context, code: str) -> list[AnyReply]:
    cert = await certificates.by_code(ctx.session, code)
    if cert is None:
        return [Reply(ctx.t("catalog.cert_unknown", code=code.strip()[:20]))]
    day = await certificates.completed_on(ctx.session, cert)
    if cert.revoked_at is not None:
        return [
            Reply(
                ctx.t(
                    "catalog.cert_revoked", code=cert.code, day=cert.revoked_at.date().isoformat()
                )
            )
        ]
    return [
        Reply(
            ctx.t(
                "catalog.cert_valid",
                name=cert.name,
                course=_title(ctx, cert),
                day=day,
                code=cert.code,
                community=ctx.settings.community_name,
            )
        )
    ]


@command("certificate", help_key="help.certificate", usage_key="usage.certificate")
async def certificate_cmd(ctx: Context, args: str) -> list[AnyReply]:
    words = args.split()
    head = words[0].lower() if words else ""
    if head in CHECK_WORDS:
        return await _check(ctx, " ".join(words[1:]))
    if head in REVOKE_WORDS:
        if not ctx.is_mod():
            raise NotAllowed()
        if len(words) < 3:
            return [Reply(ctx.t("usage.certificate_mod"))]
        cert = await certificates.by_code(ctx.session, words[1])
        if cert is None:
            return [Reply(ctx.t("catalog.cert_unknown", code=words[1][:20]))]
        done = await certificates.revoke(
            ctx.session, ctx.clock, cert, ctx.member, " ".join(words[2:])
        )
        key = "catalog.cert_revoked_now" if done else "catalog.cert_revoked_already"
        return [Reply(ctx.t(key, code=cert.code, name=cert.name, course=cert.course_title))]
    if words and certificates.normalize(args):  # a code alone: checked
        return await _check(ctx, args)
    if words:
        return [Reply(ctx.t("usage.certificate"))]
    mine = await certificates.of_member(ctx.session, ctx.clock, ctx.member)
    if not mine:
        return [Reply(ctx.t("catalog.cert_none"))]
    return [Reply(ctx.t("catalog.cert_header", n=len(mine))), *(card(ctx, c) for c in mine)]
