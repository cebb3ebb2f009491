"""Typed settings. Every setting has a default here or in default.toml; bad values fail at start."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict

DEFAULT_TOML = Path(__file__).with_name("default.toml")


class ConfigError(Exception):
    """One clear line naming the bad setting; never contains secret values."""


class PriceConfig(BaseModel):
    model_config = {"extra": "forbid"}
    amount: int = Field(ge=0, description="integer minor units (Stars for XTR)")
    currency: str
    # Renew automatically each period: a Stars subscription invoice (30-day plans only, as
    # Telegram bills monthly) or a Stripe subscription-mode Checkout. Off: one period per payment.
    recurring: bool = False

    @field_validator("currency")
    @classmethod
    def _upper(cls, v: str) -> str:
        return v.upper()


class PlanConfig(BaseModel):
    """A plan as configured; moderators can edit the database copy later."""

    model_config = {"extra": "forbid"}
    code: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")
    title_en: str
    title_zh: str = ""
    prices: dict[str, PriceConfig] = Field(default_factory=dict)
    period_days: int = Field(default=30, ge=0, le=3660, description="0 means lifetime")
    trial_days: int = Field(default=0, ge=0)
    grace_days: int = Field(default=3, ge=0)
    telegram_chat_ids: list[int] = Field(default_factory=list)
    discord_guild_id: int | None = None
    discord_role_ids: list[int] = Field(default_factory=list)
    discord_sku_id: int | None = None
    kick_on_expiry: bool = False
    # Sell the plan's one Telegram channel by a monthly Star subscription invite link
    # (createChatSubscriptionInviteLink) instead of an invoice: XTR price, 30-day period.
    telegram_channel_subscription: bool = False

    @model_validator(mode="after")
    def _recurring(self) -> PlanConfig:
        for provider, pr in self.prices.items():
            if not pr.recurring:
                continue
            if self.period_days == 0:
                raise ValueError(f"plan {self.code}: a lifetime plan cannot renew ({provider})")
            if provider == "telegram_stars" and self.period_days != 30:
                raise ValueError(
                    f"plan {self.code}: Stars subscriptions renew every 30 days; set period_days = 30"
                )
            if provider not in ("telegram_stars", "stripe"):
                raise ValueError(f"plan {self.code}: {provider} prices cannot renew automatically")
        return self

    @model_validator(mode="after")
    def _channel_subscription(self) -> PlanConfig:
        if not self.telegram_channel_subscription:
            return self
        stars = self.prices.get("telegram_stars")
        if stars is None or stars.currency != "XTR" or not 1 <= stars.amount <= 10000:
            raise ValueError(
                "telegram_channel_subscription needs a telegram_stars price of 1-10000 XTR"
            )
        if self.period_days != 30 or len(self.telegram_chat_ids) != 1:
            raise ValueError(
                "telegram_channel_subscription needs period_days = 30 and one channel id"
            )
        return self


class DigestChannelConfig(BaseModel):
    """[[digest_channels]]: one digest per period for a cohort, posted to a channel or thread
    instead of (`personal = false`) or besides each member's own DM digest."""

    model_config = {"extra": "forbid"}
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")
    platform: Literal["discord", "telegram"] = "discord"
    channel_id: int  # Discord: a text channel or a thread (threads are channels too)
    thread_id: int | None = None  # Telegram: a forum topic in `channel_id`
    plan: str | None = None  # the cohort: members with access to this plan ...
    locale: Literal["en", "zh-CN"] | None = None  # ... and/or of this language (none: all)
    frequency: Literal["daily", "weekly"] = "weekly"
    weekday: int = Field(default=0, ge=0, le=6)  # 0 = Monday, in the community's timezone
    hour: int = Field(default=9, ge=0, le=23)
    personal: bool = True  # members of the cohort still get their own DM digests


ENGAGEMENT_ACTIONS = (
    "lesson_complete",
    "course_complete",
    "question_asked",
    "answer_given",
    "answer_accepted",
    "answer_helpful",
    "event_attended",
    "peer_session",
)


class PointRuleConfig(BaseModel):
    """Points for one action and how many awards a member gets per action and local day."""

    model_config = {"extra": "forbid"}
    points: int = Field(ge=0, le=10_000)
    daily_cap: int = Field(ge=0, le=1_000)


def _default_points() -> dict[str, PointRuleConfig]:
    table = {
        "lesson_complete": (10, 10),
        "course_complete": (50, 3),
        "question_asked": (5, 3),
        "answer_given": (10, 5),
        "answer_accepted": (25, 5),
        "answer_helpful": (5, 10),
        "event_attended": (15, 2),
        "peer_session": (15, 2),
    }
    return {k: PointRuleConfig(points=p, daily_cap=c) for k, (p, c) in table.items()}


class EngagementConfig(BaseModel):
    """[engagement]: the points table, level thresholds (level n starts at levels[n-1])."""

    model_config = {"extra": "forbid"}
    points: dict[str, PointRuleConfig] = Field(default_factory=_default_points)
    levels: list[int] = Field(default_factory=lambda: [0, 50, 200, 500, 1000, 2500])
    adjust_limit: int = Field(default=1000, ge=1, le=1_000_000)

    @field_validator("points")
    @classmethod
    def _known_actions(cls, v: dict[str, PointRuleConfig]) -> dict[str, PointRuleConfig]:
        unknown = sorted(set(v) - set(ENGAGEMENT_ACTIONS))
        if unknown:
            raise ValueError(
                f"unknown action '{unknown[0]}' (known: {', '.join(ENGAGEMENT_ACTIONS)})"
            )
        return v

    @field_validator("levels")
    @classmethod
    def _sorted_levels(cls, v: list[int]) -> list[int]:
        if not 2 <= len(v) <= 10:
            raise ValueError("give 2 to 10 level thresholds")
        if v[0] != 0:
            raise ValueError("the first level threshold must be 0")
        if any(b <= a for a, b in zip(v, v[1:], strict=False)):
            raise ValueError("level thresholds must be strictly increasing")
        return v


def _split_csv(v: Any) -> Any:
    if isinstance(v, str):
        return [p.strip() for p in v.split(",") if p.strip()]
    return v


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SYLLABOT_", env_nested_delimiter="__", extra="forbid", case_sensitive=False
    )

    community_name: str = "Syllabot Community"
    database_url: str = "sqlite+aiosqlite:///./syllabot.db"
    timezone: str = "UTC"
    locale: Literal["en", "zh-CN"] = "en"
    secret_key: SecretStr = SecretStr("change-me-in-production")
    demo: bool = False

    owner_ids: Annotated[list[str], NoDecode] = Field(default_factory=list)
    moderator_ids: Annotated[list[str], NoDecode] = Field(default_factory=list)
    exempt_ids: Annotated[list[str], NoDecode] = Field(default_factory=list)

    telegram_token: SecretStr | None = None
    telegram_mode: Literal["polling", "webhook"] = "polling"
    telegram_webhook_secret: SecretStr | None = None
    telegram_forum_chat_id: int | None = None  # forum supergroup where question threads open
    discord_help_channel_id: int | None = None  # text or forum channel for question threads
    # where a single-use invite to the server leads a paying member who is not on it yet
    # (default: the help channel)
    discord_invite_channel_id: int | None = None
    discord_token: SecretStr | None = None
    stripe_secret_key: SecretStr | None = None
    stripe_webhook_secret: SecretStr | None = None

    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8080, ge=1, le=65535)
    public_url: str = ""

    max_text_length: int = Field(default=4096, ge=64)
    # answers about using the bot (/digest off, /language zh, /link…) in the knowledge base
    qa_help_answers: bool = True
    membership_reminder_days: list[int] = Field(default_factory=lambda: [3, 1])
    model_dir: str = "./var/models"
    recommend_retrain_hours: float = Field(default=24.0, ge=0)  # 0: no scheduled retrain
    plans: list[PlanConfig] = Field(default_factory=list)
    digest_channels: list[DigestChannelConfig] = Field(default_factory=list)
    engagement: EngagementConfig = Field(default_factory=EngagementConfig)

    @field_validator("owner_ids", "moderator_ids", "exempt_ids", mode="before")
    @classmethod
    def _ids(cls, v: Any) -> Any:
        v = _split_csv(v)
        for item in v or []:
            if ":" not in str(item):
                raise ValueError(f"'{item}' must look like platform:user_id, e.g. telegram:12345")
        return v

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone '{v}'") from exc
        return v

    @field_validator("database_url")
    @classmethod
    def _db(cls, v: str) -> str:
        if not v.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("use sqlite+aiosqlite:///path.db or postgresql+asyncpg://user@host/db")
        return v

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Environment beats files: files arrive as init kwargs, so list env first.
        return (env_settings, init_settings)

    @model_validator(mode="after")
    def _webhook_needs_url_and_secret(self) -> Settings:
        token = self.telegram_token.get_secret_value() if self.telegram_token else ""
        if token and self.telegram_mode == "webhook":
            if not self.public_url.startswith("https://"):
                raise ValueError("telegram webhook mode needs public_url (https://...)")
            secret = self.telegram_webhook_secret
            if secret is None or not re.fullmatch(
                r"[A-Za-z0-9_-]{1,256}", secret.get_secret_value()
            ):
                raise ValueError(
                    "telegram webhook mode needs telegram_webhook_secret (1-256 of A-Z a-z 0-9 _ -)"
                )
        return self

    def plan(self, code: str) -> PlanConfig | None:
        return next((p for p in self.plans if p.code == code), None)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def has_real_tokens(self) -> bool:
        return any(
            t is not None and t.get_secret_value()
            for t in (self.telegram_token, self.discord_token, self.stripe_secret_key)
        )


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ConfigError(f"config file not found: {path}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def load_settings(config_file: str | Path | None = None, **overrides: Any) -> Settings:
    """Defaults, then the user's TOML, then env vars, then explicit overrides (tests)."""
    data = _read_toml(DEFAULT_TOML)
    if config_file:
        data = _merge(data, _read_toml(Path(config_file)))
    data = _merge(data, overrides)
    try:
        settings = Settings(**data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err.get("loc", ())) or "settings"
        raise ConfigError(f"invalid setting '{where}': {err.get('msg', 'bad value')}") from None
    return settings
