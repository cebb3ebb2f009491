"""Short signed callback data for buttons: fits Telegram's 64 bytes, forged data is refused."""

from __future__ import annotations

import base64
import hashlib
import hmac

from core.errors import ExpiredButton

MAX_LEN = 64
SEP = ":"


class CallbackSigner:
    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(("callbacks:" + secret).encode()).digest()

    def _sig(self, body: str) -> str:
        mac = hmac.new(self._key, body.encode(), hashlib.sha256).digest()[:6]
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")

    def encode(self, prefix: str, *parts: object) -> str:
        body = SEP.join([prefix, *(str(p) for p in parts)])
        data = f"{body}~{self._sig(body)}"
        if len(data.encode()) > MAX_LEN:
            raise ValueError(f"callback data too long ({len(data)} bytes): {prefix}")
        return data

    def decode(self, data: str) -> tuple[str, list[str]]:
        body, _, sig = (data or "").rpartition("~")
        if not body or not hmac.compare_digest(sig.encode(), self._sig(body).encode()):
            raise ExpiredButton()
        prefix, *parts = body.split(SEP)
        return prefix, parts
