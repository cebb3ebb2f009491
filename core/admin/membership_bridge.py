"""Member management goes through the membership feature's service, never around it.

The membership service owns grants, extensions, revocations, bans, refunds and plan edits
(idempotency, ledger, platform effects). This module only finds it; while it is not
installed every money/access command refuses with a clear message and changes nothing.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from core.errors import DomainError

SERVICE = "core.membership.service"


def service() -> ModuleType:
    try:
        return importlib.import_module(SERVICE)
    except ModuleNotFoundError as exc:
        if exc.name and SERVICE.startswith(exc.name):
            raise DomainError("admin.membership_unavailable") from None
        raise


def function(name: str) -> Any:
    fn = getattr(service(), name, None)
    if fn is None:
        raise DomainError("admin.membership_unavailable")
    return fn
