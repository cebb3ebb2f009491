"""GET /certificates/<code>: the public page that confirms a certificate of completion.

An employer given the link (or the code) reads who completed which course and when, in a
plain page with everything escaped; an unknown code is a 404, a revoked one says so."""

from __future__ import annotations

from html import escape

from aiohttp import web

from bot.wiring import App
from core.catalog.certificates import PATH, by_code, completed_on
from core.catalog.service import hours

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{title}</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto; line-height: 1.5">
<h1>{title}</h1>
{body}
</body></html>
"""


def _page(title: str, body: str, status: int = 200) -> web.Response:
    return web.Response(
        status=status,
        text=_PAGE.format(title=escape(title), body=body),
        content_type="text/html",
        headers={"Cache-Control": "no-store"},
    )


def setup(web_app: web.Application, app: App) -> None:
    community = app.settings.community_name

    async def check(request: web.Request) -> web.Response:
        code = request.match_info["code"][:40]
        async with app.services.session_factory() as session:
            cert = await by_code(session, code)
            day = await completed_on(session, cert) if cert is not None else ""
        if cert is None:
            return _page(
                "Certificate not found",
                f"<p>No certificate of {escape(community)} has the code "
                f"<code>{escape(code)}</code>.</p>",
                status=404,
            )
        if cert.revoked_at is not None:
            return _page(
                "Certificate revoked",
                f"<p>Certificate <code>{escape(cert.code)}</code> was revoked on "
                f"{cert.revoked_at.date().isoformat()} and is no longer valid.</p>",
            )
        title = cert.course_title + (f" ({cert.course_title_zh})" if cert.course_title_zh else "")
        return _page(
            "Certificate of completion",
            f"<p>✅ <strong>{escape(cert.name)}</strong> completed all {cert.lessons} lessons "
            f"(about {hours(cert.minutes)} h) of <strong>{escape(title)}</strong> on "
            f"{day} in {escape(community)}.</p>"
            f"<p>Certificate ID: <code>{escape(cert.code)}</code></p>",
        )

    web_app.router.add_get(PATH + "{code}", check)
