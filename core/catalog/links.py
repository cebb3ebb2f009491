"""Signed lesson links: `/l/<token>` records a lesson_open for that member, then redirects.

The token binds member and lesson with an HMAC of the deployment secret, so a forged or
edited link is refused instead of crediting someone else.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from config.settings import Settings

PATH = "/l/"


def _key(secret: str) -> bytes:
    return hashlib.sha256(("lesson-links:" + secret).encode()).digest()


def _sig(secret: str, body: str) -> str:
    mac = hmac.new(_key(secret), body.encode(), hashlib.sha256).digest()[:9]
    return base64.urlsafe_b64encode(mac).decode()


def make_token(secret: str, member_id: int, lesson_id: int) -> str:
    body = f"{member_id:x}.{lesson_id:x}"
    return f"{body}.{_sig(secret, body)}"


def read_token(secret: str, token: str) -> tuple[int, int] | None:
    """(member_id, lesson_id), or None for anything not signed by us."""
    parts = (token or "").split(".")
    if len(parts) != 3 or len(token) > 64:
        return None
    body = f"{parts[0]}.{parts[1]}"
    if not hmac.compare_digest(parts[2].encode(), _sig(secret, body).encode()):
        return None
    try:
        return int(parts[0], 16), int(parts[1], 16)
    except ValueError:
        return None


def lesson_link(settings: Settings, member_id: int, lesson_id: int) -> str | None:
    """The tracked URL, or None when no public URL is configured (then buttons track opens)."""
    if not settings.public_url:
        return None
    token = make_token(settings.secret_key.get_secret_value(), member_id, lesson_id)
    return settings.public_url.rstrip("/") + PATH + token
