"""Recommender models sharing one fit / score interface (see :mod:`.base`)."""

from core.recommend.models.base import Recommender
from core.recommend.models.content import ContentKNN
from core.recommend.models.popularity import Popularity

__all__ = ["ContentKNN", "Popularity", "Recommender"]
