"""Deterministic assignment: the same member in the same experiment always lands in the same
variant (a hash, not a random draw), so a restart or a second process never moves anyone."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Variant:
    name: str
    weight: float
    params: dict[str, Any] = field(default_factory=dict)


def bucket(member_id: int, experiment: str, salt: str = "") -> float:
    """A uniform number in [0, 1) from sha256(experiment:salt:member)."""
    digest = hashlib.sha256(f"{experiment}:{salt}:{member_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def choose(member_id: int, experiment: str, variants: Sequence[Variant], salt: str = "") -> str:
    """The variant whose share of [0, 1) the member's bucket falls into (weights need not sum
    to 100)."""
    total = sum(max(0.0, v.weight) for v in variants)
    if not variants or total <= 0:
        raise ValueError("an experiment needs at least one variant with a positive weight")
    x = bucket(member_id, experiment, salt) * total
    acc = 0.0
    for v in variants:
        acc += max(0.0, v.weight)
        if x < acc:
            return v.name
    return variants[-1].name
