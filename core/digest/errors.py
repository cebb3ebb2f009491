"""Refusals of the digest feature; each key is translated in core/i18n/catalogs/*/digest.toml."""

from __future__ import annotations

from core.errors import DomainError


class DigestUsageError(DomainError):
    def __init__(self) -> None:
        super().__init__("digest.usage")


class OnTheHourError(DomainError):
    """A time with minutes: digests go out on the hour, so the member picks one."""

    def __init__(self, hour: int) -> None:
        super().__init__("digest.on_the_hour", hour=hour, later=(hour + 1) % 24)


class HourRangeError(DomainError):
    """A number that is no hour of the day ("/digest hour 25")."""

    def __init__(self) -> None:
        super().__init__("digest.hour_range")


class UnknownTimezoneError(DomainError):
    def __init__(self, tz: str) -> None:
        super().__init__("digest.bad_timezone", tz=tz)


class NotYourDigestError(DomainError):
    def __init__(self) -> None:
        super().__init__("digest.not_yours")


class FrequencyUnsupportedError(DomainError):
    """A frequency digests do not come at ("twice a week", "monthly", "每两周"): the two
    they do, rather than "I didn't understand"."""

    def __init__(self) -> None:
        super().__init__("digest.frequency_unsupported")
