"""Config: defaults, user file, env vars; a bad value fails with one line naming the setting."""

from __future__ import annotations

import pytest

from config.settings import ConfigError, load_settings


def test_defaults_load_with_plans():
    s = load_settings()
    assert s.database_url.startswith("sqlite+aiosqlite")
    assert {p.code for p in s.plans} >= {"monthly", "yearly", "lifetime"}
    assert s.plan("monthly").prices["telegram_stars"].currency == "XTR"


def test_user_file_then_env_override(tmp_path, monkeypatch):
    f = tmp_path / "c.toml"
    f.write_text('timezone = "Asia/Shanghai"\nlocale = "zh-CN"\ncommunity_name = "From file"\n')
    monkeypatch.setenv("SYLLABOT_COMMUNITY_NAME", "From env")
    monkeypatch.setenv("SYLLABOT_MODERATOR_IDS", "telegram:1, discord:2")
    s = load_settings(f)
    assert s.timezone == "Asia/Shanghai" and s.locale == "zh-CN"
    assert s.community_name == "From env"
    assert s.moderator_ids == ["telegram:1", "discord:2"]


@pytest.mark.parametrize(
    ("env", "value", "needle"),
    [
        ("SYLLABOT_TIMEZONE", "Mars/Olympus", "timezone"),
        ("SYLLABOT_HTTP_PORT", "99999", "http_port"),
        ("SYLLABOT_DATABASE_URL", "mysql://x", "database_url"),
        ("SYLLABOT_MODERATOR_IDS", "12345", "moderator_ids"),
    ],
)
def test_invalid_setting_names_itself(monkeypatch, env, value, needle):
    monkeypatch.setenv(env, value)
    with pytest.raises(ConfigError) as exc:
        load_settings()
    msg = str(exc.value)
    assert needle in msg and "\n" not in msg


def test_secret_never_printed(monkeypatch):
    monkeypatch.setenv("SYLLABOT_TELEGRAM_TOKEN", "123:SECRET-TOKEN")
    s = load_settings()
    assert "SECRET-TOKEN" not in repr(s) and "SECRET-TOKEN" not in str(s.model_dump())
    assert s.telegram_token is not None
    assert s.telegram_token.get_secret_value() == "123:SECRET-TOKEN"


def test_broken_toml_is_one_clear_line(tmp_path):
    f = tmp_path / "bad.toml"
    f.write_text("timezone = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(f)
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "missing.toml")


def test_webhook_mode_needs_public_url_and_valid_secret(monkeypatch):
    monkeypatch.setenv("SYLLABOT_TELEGRAM_TOKEN", "1:abc")
    monkeypatch.setenv("SYLLABOT_TELEGRAM_MODE", "webhook")
    with pytest.raises(ConfigError, match="public_url"):
        load_settings()
    monkeypatch.setenv("SYLLABOT_PUBLIC_URL", "https://bot.example.org")
    monkeypatch.setenv("SYLLABOT_TELEGRAM_WEBHOOK_SECRET", "has spaces!")
    with pytest.raises(ConfigError, match="telegram_webhook_secret"):
        load_settings()
    monkeypatch.setenv("SYLLABOT_TELEGRAM_WEBHOOK_SECRET", "Good_Secret-1")
    assert load_settings().telegram_mode == "webhook"


def _plan_file(tmp_path, period: int, provider: str, currency: str) -> str:
    p = tmp_path / "plans.toml"
    p.write_text(
        f"""
[[plans]]
code = "pro"
title_en = "Pro"
period_days = {period}
[plans.prices.{provider}]
amount = 100
currency = "{currency}"
recurring = true
"""
    )
    return str(p)


def test_recurring_prices_are_checked_and_reach_the_plan(tmp_path):
    s = load_settings(_plan_file(tmp_path, 30, "telegram_stars", "XTR"))
    (pro,) = [p for p in s.plans if p.code == "pro"]
    assert pro.prices["telegram_stars"].recurring
    with pytest.raises(ConfigError, match="lifetime plan cannot renew"):
        load_settings(_plan_file(tmp_path, 0, "stripe", "USD"))
    with pytest.raises(ConfigError, match="every 30 days"):
        load_settings(_plan_file(tmp_path, 365, "telegram_stars", "XTR"))
    assert load_settings(_plan_file(tmp_path, 365, "stripe", "EUR")).plans
