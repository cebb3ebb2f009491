"""What a handler gets: one session (one transaction), the clock, settings and collaborators."""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from config.settings import Settings
from core.callbacks import CallbackSigner
from core.clock import Clock
from core.events import Event
from core.i18n import translate
from models.member import Account, Member

T = TypeVar("T")
log = logging.getLogger("syllabot")


class Role(enum.IntEnum):
    MEMBER = 1
    EXPERT = 2
    MODERATOR = 3
    OWNER = 4


@dataclass
class Services:
    """The composition root's product: everything a handler may need, injected."""

    settings: Settings
    session_factory: async_sessionmaker[AsyncSession]
    clock: Clock
    signer: CallbackSigner
    extras: dict[str, Any] = field(default_factory=dict)

    def get(self, name: str, factory: Callable[[Services], T]) -> T:
        """A lazily built collaborator (model, index...), shared for the process."""
        if name not in self.extras:
            self.extras[name] = factory(self)
        return self.extras[name]  # type: ignore[no-any-return]


@dataclass
class Context:
    services: Services
    session: AsyncSession
    event: Event
    member: Member
    account: Account
    role: Role
    reply_locale: str = ""
    """The language to answer in when it is not the member's own: a Chinese question from a
    member whose bot speaks English is answered in Chinese."""

    @property
    def clock(self) -> Clock:
        return self.services.clock

    @property
    def settings(self) -> Settings:
        return self.services.settings

    @property
    def locale(self) -> str:
        return self.reply_locale or self.member.locale or self.settings.locale

    @property
    def timezone(self) -> str:
        """The zone times are typed and shown in: the member's, else the community's."""
        return self.member.timezone or self.settings.timezone

    def t(self, key: str, /, **params: Any) -> str:
        return translate(self.locale, key, **params)

    def sign(self, prefix: str, *parts: object) -> str:
        return self.services.signer.encode(prefix, *parts)

    def is_mod(self) -> bool:
        return self.role >= Role.MODERATOR
