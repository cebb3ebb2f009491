"""“I typed /lessons but nothing happened, did I do it wrong?” opened a public thread: a
member unsure about a command they tried gets what that command is, or the ones it may
have meant, as /help NAME would say."""

from __future__ import annotations

import re

from core.context import Context
from core.qa import help_answers
from core.replies import AnyReply, Reply

_TRIED = re.compile(
    r"(?:\b(?:typed|sent|tried|used|entered|pressed|wrote)|输入了?|发了?|用了)\s*/([a-z_]{2,32})\b"
    r"[^\n]{0,80}?(?:\bnothing\b|\bdid ?n'?t\b|\bdid not\b|\bdoes ?n'?t\b|\bnot work|\bwrong\b|"
    r"\berror\b|没反应|没用|不行|不对|报错)",
    re.IGNORECASE,
)


def command_tried(text: str) -> str | None:
    m = _TRIED.search(text)
    return m.group(1).lower() if m else None


@help_answers.lookup
async def tried_a_command(ctx: Context, question: str) -> list[AnyReply] | None:
    name = command_tried(question)
    if name is None:
        return None
    from core.router import run_command, spec_for

    told = await run_command(ctx, "help", name)  # an unknown one: the commands it may mean
    if spec_for(name, ctx.role) is None:
        return told
    return [Reply(ctx.t("errors.tried_command", name=name)), *told]
