"""Versioned model artifacts on disk, and "keep serving the last good model".

Layout: ``<root>/<version>/`` holds the model files plus ``meta.json`` (version stamp,
creation time, metrics, id maps); ``<root>/CURRENT`` names the version being served and
is replaced atomically only after the new version was written and loaded back.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.recommend.hybrid import HybridModel, TrainingError

log = logging.getLogger(__name__)

__all__ = ["Artifact", "ModelStore"]


@dataclass
class Artifact:
    version: str
    model: HybridModel
    meta: dict[str, Any] = field(default_factory=dict)


class ModelStore:
    def __init__(self, root: str | Path, keep: int = 3) -> None:
        self.root = Path(root)
        self.keep = keep

    def versions(self) -> list[str]:
        if not self.root.exists():
            return []
        return sorted(
            (p.name for p in self.root.iterdir() if p.is_dir() and (p / "meta.json").exists()),
            reverse=True,
        )

    def current_version(self) -> str | None:
        pointer = self.root / "CURRENT"
        if pointer.exists():
            return pointer.read_text().strip() or None
        return None

    def save(self, model: HybridModel, meta: dict[str, Any], now: datetime | None = None) -> str:
        """Write a new version, check it loads, then point CURRENT at it."""
        now = now or datetime.now(UTC)
        version = now.strftime("%Y%m%dT%H%M%S%fZ")
        target = self.root / version
        tmp = self.root / f".{version}.tmp"
        if tmp.exists():
            shutil.rmtree(tmp)
        model.save(tmp)
        stamp = {"version": version, "created_at": now.isoformat(), **meta}
        (tmp / "meta.json").write_text(json.dumps(stamp, indent=2, default=str))
        HybridModel.load(tmp)  # refuse to publish what cannot be read back
        os.replace(tmp, target)
        pointer_tmp = self.root / "CURRENT.tmp"
        pointer_tmp.write_text(version)
        os.replace(pointer_tmp, self.root / "CURRENT")
        self._prune()
        return version

    def load(self, version: str) -> Artifact:
        d = self.root / version
        meta = json.loads((d / "meta.json").read_text())
        return Artifact(version, HybridModel.load(d), meta)

    def load_current(self) -> Artifact | None:
        """The CURRENT version, else the newest version that loads; None if none does."""
        order = []
        cur = self.current_version()
        if cur:
            order.append(cur)
        order += [v for v in self.versions() if v != cur]
        for version in order:
            try:
                return self.load(version)
            except Exception as exc:  # a broken artifact must not stop serving
                log.warning("model version %s unusable: %s", version, exc)
        return None

    def _prune(self) -> None:
        cur = self.current_version()
        for version in self.versions()[self.keep :]:
            if version != cur:
                shutil.rmtree(self.root / version, ignore_errors=True)


def train_or_keep(
    train: Callable[[], HybridModel],
    previous: Artifact | None,
    store: ModelStore | None = None,
    meta: dict[str, Any] | None = None,
) -> tuple[Artifact | None, Exception | None]:
    """Train; on failure keep ``previous`` (and report the error) instead of raising."""
    try:
        model = train()
    except TrainingError as exc:  # expected (e.g. no interactions yet): no traceback
        log.warning(
            "recommender not trained (%s); keeping version %s",
            exc,
            previous.version if previous else None,
        )
        return previous, exc
    except Exception as exc:
        log.exception(
            "recommender training failed; keeping version %s",
            previous.version if previous else None,
        )
        return previous, exc
    version = "memory"
    if store is not None:
        try:
            version = store.save(model, meta or {})
        except Exception as exc:
            log.exception("could not save the new model; serving it from memory")
            return Artifact("memory", model, meta or {}), exc
    return Artifact(version, model, meta or {}), None
