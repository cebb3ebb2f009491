"""Tracked lesson links: GET /l/<token> counts a lesson_open for the signed member, then redirects."""

from __future__ import annotations

import logging

from aiohttp import web

from bot.wiring import App
from core.catalog.links import PATH, read_token
from core.catalog.service import open_lesson
from models.catalog import Lesson
from models.member import Member

log = logging.getLogger("syllabot.http.track")


def setup(web_app: web.Application, app: App) -> None:
    async def follow(request: web.Request) -> web.StreamResponse:
        secret = app.settings.secret_key.get_secret_value()
        ids = read_token(secret, request.match_info["token"])
        if ids is None:
            return web.Response(status=404, text="This lesson link is not valid.")
        member_id, lesson_id = ids
        async with app.services.session_factory() as session, session.begin():
            lesson = await session.get(Lesson, lesson_id)
            member = await session.get(Member, member_id)
            if lesson is None or member is None or not lesson.url:
                return web.Response(status=404, text="This lesson is no longer available.")
            url = lesson.url
            await open_lesson(session, app.services.clock, member_id, lesson, "link")
        raise web.HTTPFound(url)

    web_app.router.add_get(PATH + "{token}", follow)
