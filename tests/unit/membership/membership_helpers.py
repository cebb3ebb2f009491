"""Helpers shared by the membership tests (imported by file name: this folder has no package)."""

from __future__ import annotations

from typing import Any

from config.settings import Settings, load_settings


def demo_settings(url: str, **overrides: Any) -> Settings:
    base: dict[str, Any] = {
        "database_url": url,
        "moderator_ids": ["console:mod", "telegram:9000", "discord:9000"],
        "owner_ids": ["console:owner"],
        "secret_key": "test-secret",
        "demo": True,
    }
    base.update(overrides)
    return load_settings(None, **base)


async def member_id(app: Any, platform: str, user: str) -> int:
    """Create (via the router, like a first message) and return the member id of a platform user."""
    from sqlalchemy import select

    from core.events import Actor, Chat, Command
    from models.member import Account

    await app.router.dispatch(
        Command(Actor(platform, user, username=user), Chat(platform, user), name="help")
    )
    async with app.services.session_factory() as s:
        return int(
            (
                await s.execute(
                    select(Account.member_id).where(
                        Account.platform == platform, Account.platform_user_id == user
                    )
                )
            ).scalar_one()
        )


async def set_targets(app: Any, code: str, **targets: Any) -> None:
    from sqlalchemy import select

    from models.membership import Plan

    async with app.services.session_factory() as s, s.begin():
        plan = (await s.execute(select(Plan).where(Plan.code == code))).scalar_one()
        plan.targets = {**(plan.targets or {}), **targets}
