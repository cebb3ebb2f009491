"""Settings: defaults in config/default.toml, an optional user TOML, then SYLLABOT_* env vars."""

from config.settings import ConfigError, PlanConfig, Settings, load_settings

__all__ = ["ConfigError", "PlanConfig", "Settings", "load_settings"]
