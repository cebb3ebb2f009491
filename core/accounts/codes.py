"""Pure helpers for link codes: readable to type, hashed at rest, tolerant of spaces and dashes."""

from __future__ import annotations

import hashlib
import hmac
import secrets

# No 0/O, 1/I/L: people copy these codes by hand between two apps.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 8


def new_code() -> str:
    """A fresh code like 'K7QM-2XPD' (about 40 bits: guessing is throttled anyway)."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


def normalize(text: str) -> str | None:
    """The canonical code typed by a person, or None when it cannot be one."""
    raw = "".join(ch for ch in text.upper() if ch not in " -_\t")
    if len(raw) != LENGTH or any(ch not in ALPHABET for ch in raw):
        return None
    return raw


def code_hash(secret: str, code: str) -> str:
    """Only the keyed hash is stored: a leaked table cannot be replayed."""
    key = hashlib.sha256(("link:" + secret).encode()).digest()
    canon = normalize(code) or code
    return hmac.new(key, canon.encode(), hashlib.sha256).hexdigest()
