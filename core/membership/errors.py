"""Membership refusals: each carries a catalog key (core/i18n/catalogs/*/membership.toml)."""

from __future__ import annotations

from typing import Any

from core.errors import DomainError


class MembershipError(DomainError):
    """A membership refusal the member reads; nothing was changed."""

    def __init__(self, key: str, /, **params: Any) -> None:
        super().__init__(f"membership.{key}", **params)


class PaymentRejected(MembershipError):
    """A payment that does not match what we issued: recorded as rejected, never granted."""
