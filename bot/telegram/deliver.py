"""The outbox's Telegram Deliverer: one payload to one chat, Bot API errors -> SendOutcome."""

from __future__ import annotations

import base64
import logging
import warnings
from datetime import timedelta
from typing import Any

from telegram import Bot, InputFile
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot.telegram.outgoing import caption, chat_arg, keyboard, send_text, thread_kwargs
from core.ports import SendOutcome

log = logging.getLogger("syllabot.telegram.deliver")


def retry_seconds(exc: RetryAfter) -> float:
    """retry_after in seconds whatever PTB_TIMEDELTA says."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value: Any = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class TelegramDeliverer:
    """core.ports.Deliverer over a real `telegram.Bot`; rate limits are the outbox's job."""

    platform = "telegram"

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def deliver(self, target: str, payload: dict[str, Any]) -> SendOutcome:
        try:
            ref = await self._send(target, payload)
        except RetryAfter as exc:
            return SendOutcome("retry", retry_after=retry_seconds(exc), error=str(exc))
        except Forbidden as exc:  # blocked the bot, left, deactivated: stop writing to them
            return SendOutcome("unreachable", error=str(exc))
        except (BadRequest, ChatMigrated) as exc:  # this message can never go through as is
            return SendOutcome("failed", error=str(exc))
        except (TimedOut, NetworkError) as exc:  # 5xx, timeouts, connection resets
            return SendOutcome("retry", error=str(exc))
        except TelegramError as exc:  # e.g. an invalid token: the message cannot be sent
            log.error("telegram delivery to %s failed: %s", target, exc)
            return SendOutcome("failed", error=str(exc))
        return SendOutcome("sent", message_ref=ref)

    async def _send(self, target: str, payload: dict[str, Any]) -> str | None:
        thread = payload.get("thread_id")
        if payload.get("photo_b64"):
            msg = await self.bot.send_photo(
                chat_arg(target),
                InputFile(base64.b64decode(payload["photo_b64"]), filename="digest.png"),
                caption=caption(payload.get("caption") or ""),
                parse_mode=ParseMode.HTML,
                reply_markup=keyboard(payload.get("buttons") or []),
                **thread_kwargs(thread),
                disable_notification=True if payload.get("silent") else None,
            )
            return str(msg.message_id)
        sent = await send_text(
            self.bot,
            target,
            payload.get("text") or "",
            markup=payload.get("markup") or "plain",
            buttons=payload.get("buttons") or [],
            thread_id=thread,
            silent=bool(payload.get("silent")),
        )
        return str(sent[-1].message_id) if sent else None
