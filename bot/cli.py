"""The `syllabot` command line: demo, run, db, version, and each feature's operator commands."""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from config.settings import ConfigError, Settings, load_settings

app = typer.Typer(
    name="syllabot",
    help="Syllabot: a paid learning community bot for Telegram and Discord.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")

# Feature CLIs live next to their feature; mounted here when present.
FEATURE_CLIS = {
    "recommend": "core.recommend.cli",
    "qa": "core.qa.cli",
    "catalog": "core.catalog.cli",
    "digest": "core.digest.cli",
    "admin": "core.admin.cli",
    "stats": "core.admin.stats_cli",
    "experiment": "core.experiments.cli",
    "engagement": "core.engagement.cli",
    "membership": "core.membership.cli",
}
for _name, _module in FEATURE_CLIS.items():
    try:
        _mod = importlib.import_module(_module)
    except ModuleNotFoundError as _exc:
        if _exc.name and _module.startswith(_exc.name):
            continue
        raise
    app.add_typer(_mod.app, name=_name)

ConfigOpt = Annotated[
    Path | None, typer.Option("--config", "-c", help="TOML file overriding config/default.toml")
]


def fail(msg: str, code: int = 2) -> None:
    typer.echo(f"error: {msg}", err=True)
    raise typer.Exit(code)


def settings_or_exit(config: Path | None, **overrides: object) -> Settings:
    try:
        return load_settings(config, **overrides)
    except ConfigError as exc:
        fail(str(exc))
        raise  # unreachable


def check_sqlite_file(url: str) -> None:
    """A missing file is fine (we create it); a file that is not SQLite is refused, untouched."""
    if not url.startswith("sqlite"):
        return
    path = Path(url.split(":///", 1)[1])
    if path.exists() and path.stat().st_size > 0:
        with path.open("rb") as fh:
            if fh.read(16) != b"SQLite format 3\x00":
                fail(f"database file {path} is not a SQLite database (left untouched)")


@app.command()
def version() -> None:
    """Print the version."""
    from importlib.metadata import version as v

    typer.echo(f"syllabot {v('syllabot')}")


@db_app.command("upgrade")
def db_upgrade(config: ConfigOpt = None) -> None:
    """Apply all migrations (alembic upgrade heads)."""
    from models.db import upgrade

    s = settings_or_exit(config)
    check_sqlite_file(s.database_url)
    try:
        upgrade(s.database_url)
    except Exception as exc:  # noqa: BLE001 - one clear line instead of a traceback
        fail(f"migration failed: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}", 1)
    typer.echo("database is up to date")


@db_app.command("downgrade")
def db_downgrade(revision: str = "base", config: ConfigOpt = None) -> None:
    """Roll migrations back (default: everything)."""
    from models.db import downgrade

    s = settings_or_exit(config)
    check_sqlite_file(s.database_url)
    downgrade(s.database_url, revision)
    typer.echo(f"downgraded to {revision}")


def _read_script(path: Path) -> list[str]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        fail(f"cannot read script {path}: {exc.strerror}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        fail(f"script {path} is not valid UTF-8 (line {line})")
    return text.splitlines()


@app.command()
def demo(
    script: Annotated[
        Path | None,
        typer.Option("--script", "-s", help="Read chat lines from FILE, print replies, exit"),
    ] = None,
    db: Annotated[Path, typer.Option(help="SQLite file for the demo")] = Path("syllabot.db"),
    fresh: Annotated[bool, typer.Option(help="Start from a new database")] = False,
    config: ConfigOpt = None,
) -> None:
    """Chat with a seeded demo community in the terminal (no tokens needed)."""
    lines = _read_script(script) if script else None
    if os.environ.get("SYLLABOT_TELEGRAM_TOKEN") or os.environ.get("SYLLABOT_STRIPE_SECRET_KEY"):
        typer.echo("note: real tokens are set; the demo ignores them and never contacts a platform")
    url = f"sqlite+aiosqlite:///{db}"
    s = settings_or_exit(
        config,
        database_url=url,
        demo=True,
        telegram_token=None,
        discord_token=None,
        stripe_secret_key=None,
        moderator_ids=["console:mod"],
        owner_ids=["console:owner"],
    )
    if s.community_name == Settings.model_fields["community_name"].default:
        # the demo community has a name of its own, unless one was configured
        from core.demo.seed import load_demo_data

        s = s.model_copy(update={"community_name": load_demo_data()["name"]})
    check_sqlite_file(url)
    if fresh and db.exists():
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
    from bot.console.runner import run_demo

    code = asyncio.run(run_demo(s, lines))
    raise typer.Exit(code)


@app.command()
def run(
    role: Annotated[str, typer.Option(help="all | web | gateway | scheduler")] = "all",
    config: ConfigOpt = None,
) -> None:
    """Run in production: adapters with tokens, the webhook server and the scheduler."""
    if role not in {"all", "web", "gateway", "scheduler"}:
        fail("--role must be one of all, web, gateway, scheduler")
    s = settings_or_exit(config)
    check_sqlite_file(s.database_url)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    from bot.runtime import serve

    asyncio.run(serve(s, role))


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
