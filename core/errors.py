"""Domain errors carry an i18n message key; adapters turn them into friendly replies."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A refusal the user should read. `key` indexes the i18n catalog."""

    # (label key, https URL): a way out the refusal points at, sent as a link button
    button: tuple[str, str] | None = None

    def __init__(self, key: str, /, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


class NotAllowed(DomainError):
    def __init__(self, key: str = "errors.not_allowed", **params: Any) -> None:
        super().__init__(key, **params)


class BadArguments(DomainError):
    def __init__(self, key: str = "errors.bad_arguments", **params: Any) -> None:
        super().__init__(key, **params)


class NotFound(DomainError):
    def __init__(self, key: str = "errors.not_found", **params: Any) -> None:
        super().__init__(key, **params)


class ExpiredButton(DomainError):
    def __init__(self) -> None:
        super().__init__("errors.button_expired")


class Unavailable(Exception):
    """Our own infrastructure failed (database gone, pool exhausted): nothing was applied.

    Not the user's fault and not final: where the platform redelivers (a webhook answered
    with 5xx) the update must be retried, not acknowledged with an apology.
    """
