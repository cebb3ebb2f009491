"""ORM models. Importing this package registers every table on Base.metadata."""

import importlib
import pkgutil

from models.base import Base

for _mod in pkgutil.iter_modules(__path__):
    if _mod.name not in {"base", "db", "migrations"}:
        importlib.import_module(f"models.{_mod.name}")

__all__ = ["Base"]
