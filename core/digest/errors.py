"""Refusals of the digest feature; each key is translated in core/i18n/catalogs/*/digest.toml."""

from __future__ import annotations

from core.errors import DomainError


class DigestUsageError(DomainError):
    def __init__(self) -> None:
        super().__init__("digest.usage")


class UnknownTimezoneError(DomainError):
    def __init__(self, tz: str) -> None:
        super().__init__("digest.bad_timezone", tz=tz)


class NotYourDigestError(DomainError):
    def __init__(self) -> None:
        super().__init__("digest.not_yours")
