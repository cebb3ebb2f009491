"""Refusals of the experiments feature (keys in core/i18n/catalogs/*/experiments.toml)."""

from __future__ import annotations

from core.errors import DomainError


class ExperimentUsageError(DomainError):
    def __init__(self) -> None:
        super().__init__("experiments.usage")


class ExperimentCreateUsageError(DomainError):
    def __init__(self, metrics: str, targets: str) -> None:
        super().__init__("experiments.usage_create", metrics=metrics, targets=targets)


class WhichExperimentError(DomainError):
    """A bare report or stop that could mean several experiments (or none)."""

    def __init__(self, verb: str, names: str) -> None:
        super().__init__(f"experiments.which_{verb}", names=names)


class NoExperimentError(DomainError):
    def __init__(self, key: str) -> None:
        super().__init__(f"experiments.{key}")


class UnknownExperimentError(DomainError):
    def __init__(self, name: str) -> None:
        super().__init__("experiments.unknown", name=name)


class ExperimentExistsError(DomainError):
    def __init__(self, name: str) -> None:
        super().__init__("experiments.exists", name=name)


class BadVariantsError(DomainError):
    def __init__(self) -> None:
        super().__init__("experiments.bad_variants")


class UnknownMetricError(DomainError):
    def __init__(self, metric: str, known: str) -> None:
        super().__init__("experiments.unknown_metric", metric=metric, known=known)


class BadNameError(DomainError):
    def __init__(self) -> None:
        super().__init__("experiments.bad_name")


class UnknownParamError(DomainError):
    def __init__(self, param: str, target: str, known: str) -> None:
        super().__init__("experiments.unknown_param", param=param, target=target, known=known)
