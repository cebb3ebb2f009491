"""Ports core sends through. Each adapter implements them; tests use recording fakes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol

Outcome = Literal["sent", "retry", "unreachable", "failed"]


@dataclass(frozen=True)
class SendOutcome:
    """What one delivery attempt did.

    sent: delivered. retry: transient (429 with retry_after seconds, 5xx, timeout).
    unreachable: permanent for this member (blocked the bot, closed DMs): mark and stop.
    failed: permanent for this message (bad request): dead-letter it.
    """

    status: Outcome
    retry_after: float | None = None
    error: str = ""
    message_ref: str | None = None


class Deliverer(Protocol):
    """Sends one outbox payload to one platform target.

    payload: {"text": str, "buttons": [[{"label", "data"?, "url"?}]], "markup": "plain"|"markdown",
              "photo_b64"?: str, "caption"?: str}
    """

    platform: str

    async def deliver(self, target: str, payload: dict[str, Any]) -> SendOutcome: ...
