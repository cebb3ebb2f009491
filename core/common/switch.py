"""On and off as members type them after a command that turns something on or off
(/peers, /recommend, /leaderboard): "on", "opt-in", "yes", "开启", "加入" or "off", "退出"."""

from __future__ import annotations

ON_WORDS = frozenset(
    {"on", "optin", "opt-in", "opt in", "yes", "enable", "join", "开启", "打开", "加入", "启用"}
)
OFF_WORDS = frozenset(
    {"off", "optout", "opt-out", "opt out", "no", "disable", "leave", "关闭", "退出", "停用"}
)


def turned(arg: str) -> bool | None:
    """True for an on word, False for an off word, None for anything else."""
    word = " ".join(arg.lower().split())
    if word in ON_WORDS:
        return True
    if word in OFF_WORDS:
        return False
    return None
