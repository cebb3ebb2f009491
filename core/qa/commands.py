"""Chat commands of the Q&A feature: /ask, /solved, /kb, feedback buttons, DM questions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core.admin.confirm import action
from core.common import smalltalk
from core.common.home import home_line
from core.context import Context, Role
from core.errors import BadArguments
from core.events import Message, MessageEdited, ThreadFailed, ThreadOpened
from core.qa import (
    about_you,
    catalog_sync,
    curation,
    followup,
    off_topic,  # noqa: F401  (registers its lookup)
    service,
    startup,
)
from core.qa.privacy import register_privacy
from core.qa.tokenize import word_count
from core.replies import AnyReply
from core.router import (
    BARE_WORDS,
    bare_word,
    button,
    command,
    message_handler,
    on_event,
    parse_command,
)


@command("ask", help_key="help.ask", usage_key="usage.ask")
async def ask(ctx: Context, args: str) -> list[AnyReply]:
    # Kept in a private chat only, where an edit of it is searched again (message ids are
    # per chat, so a group's would not name one message of the member's).
    private = ctx.event.chat.kind == "private" and not ctx.event.chat.thread_id
    ref = getattr(ctx.event, "message_ref", None) if private else None
    return await service.ask(ctx, args, message_ref=ref)


@command("solved", help_key="help.solved", usage_key="usage.solved")
async def solved(ctx: Context, args: str) -> list[AnyReply]:
    return await service.solve(ctx, args)


@command("pass", help_key="help.pass", usage_key="usage.pass")
async def pass_(ctx: Context, args: str) -> list[AnyReply]:
    return await service.pass_invitation(ctx, args)


@command("questions", help_key="help.questions")
async def questions(ctx: Context, args: str) -> list[AnyReply]:
    return await service.my_questions(ctx, args)


KB_ACTIONS = {
    "add": curation.kb_add,
    "edit": curation.kb_edit,
    "remove": curation.kb_remove,
    "import": curation.kb_import,
    "check": curation.kb_check,
    "find": curation.kb_find,
    "list": curation.kb_list,
    "show": curation.kb_show,
    "retry": curation.kb_retry,
    "feedback": curation.kb_feedback,
    "waiting": curation.kb_waiting,
    "stale": curation.kb_waiting,
}
# other words moderators type for the same actions ("/kb delete 12" was the usage)
KB_ACTIONS |= {
    "new": curation.kb_add,
    "update": curation.kb_edit,
    "delete": curation.kb_remove,
    "del": curation.kb_remove,
    "rm": curation.kb_remove,
    "search": curation.kb_find,
    "view": curation.kb_show,
    "get": curation.kb_show,
    "ls": curation.kb_list,
    "unanswered": curation.kb_waiting,
}
# and in Chinese ("/kb 删除 12")
KB_ACTIONS |= {
    **dict.fromkeys(("添加", "新建", "新增"), curation.kb_add),
    **dict.fromkeys(("编辑", "修改"), curation.kb_edit),
    **dict.fromkeys(("删除", "移除"), curation.kb_remove),
    **dict.fromkeys(("搜索", "查找", "查询"), curation.kb_find),
    **dict.fromkeys(("查看", "显示"), curation.kb_show),
    "列表": curation.kb_list,
    "导入": curation.kb_import,
    "检查": curation.kb_check,
    "重试": curation.kb_retry,
    "反馈": curation.kb_feedback,
    **dict.fromkeys(("待答", "等待", "未回答"), curation.kb_waiting),
}


@command("kb", role=Role.MODERATOR, help_key="help.kb", usage_key="usage.kb", uploads=True)
async def kb(ctx: Context, args: str) -> list[AnyReply]:
    parts = args.strip().split(None, 1)
    action = parts[0] if parts else ""
    rest = parts[1] if len(parts) > 1 else ""
    fn = KB_ACTIONS.get(action.lower())
    if fn is None:
        raise BadArguments("qa.kb_usage")
    return await fn(ctx, rest)


@button("qasv")
async def solved_from_list(ctx: Context, parts: Sequence[str]) -> list[AnyReply]:
    return await service.solve_from_list(ctx, parts)


@button("qasol")
async def solved_pick(ctx: Context, parts: Sequence[str]) -> list[AnyReply]:
    return await service.solve_pick(ctx, parts)


@button("qans")
async def not_the_same_question(ctx: Context, parts: Sequence[str]) -> list[AnyReply]:
    return await service.not_same(ctx, parts)


@button("qafb")
async def feedback(ctx: Context, parts: Sequence[str]) -> list[AnyReply]:
    return await service.feedback(ctx, parts)


@button("qafa")
async def feedback_built_in(ctx: Context, parts: Sequence[str]) -> list[AnyReply]:
    """A vote on a built-in answer recognised from its short asks."""
    return await service.feedback(ctx, parts, via="asks")


@on_event(ThreadOpened)
async def thread_opened(ctx: Context, event: ThreadOpened) -> list[AnyReply]:
    return await service.thread_opened(
        ctx, event.question_id, event.chat, event.thread_ref, event.url
    )


@on_event(MessageEdited)
async def message_edited(ctx: Context, event: MessageEdited) -> list[AnyReply]:
    if ctx.event.chat.kind == "private" and not ctx.event.chat.thread_id:
        text = event.text
        if text.startswith("/"):  # an edited "/ask QUESTION"; no other command is a question
            parsed = parse_command(text)
            if parsed is None or parsed[0] != "ask":
                return []
            text = parsed[1]
        return await service.question_edited(ctx, text, event.message_ref)
    return await service.record_edit(ctx, event.text, event.message_ref)


@on_event(ThreadFailed)
async def thread_failed(ctx: Context, event: ThreadFailed) -> list[AnyReply]:
    return await service.thread_failed(ctx, event.question_id, event.reason)


@message_handler(priority=5)  # before the profile interview: the moderator just asked for it
async def kb_paste(ctx: Context, text: str) -> list[AnyReply] | None:
    """The entries a moderator pastes right after a bare /kb import."""
    if ctx.event.chat.kind != "private" or ctx.role < Role.MODERATOR:
        return None
    if not curation.take_paste(ctx.member, ctx.clock.now()):
        return None
    return await curation.kb_import(ctx, text)


@message_handler(priority=40)
async def thread_message(ctx: Context, text: str) -> list[AnyReply] | None:
    """Replies inside an open Q&A thread are recorded as answers (for /solved and routing)."""
    if not ctx.event.chat.thread_id:
        return None
    return await service.record_thread_message(ctx, text)


@message_handler(priority=90)
async def dm_question(ctx: Context, text: str) -> list[AnyReply] | None:
    """A plain question in a private chat is treated like /ask (when nothing else took it)."""
    if ctx.event.chat.kind != "private" or not text.strip():
        return None
    if bare_word(text) in BARE_WORDS:  # "my progress": the command, after the handlers
        return None
    looks_like_question = text.rstrip().endswith(("?", "？"))
    if word_count(text) < 2 and not looks_like_question and smalltalk.kind(text) is None:
        return None
    ref = ctx.event.message_ref if isinstance(ctx.event, Message) else None
    # a statement ("I want to become a data analyst") is not posted for the community unasked,
    # nor is a moderator's question: in their private chat it is mostly about running the
    # community ("what did bob do recently?"), which opened a public thread
    hold = not smalltalk.asks_something(text) or ctx.role >= Role.MODERATOR
    return await service.ask(ctx, text, message_ref=ref, hold_thread=hold)


@action("qa_post", role=Role.MEMBER)
async def _post_confirmed(ctx: Context, p: dict[str, Any]) -> list[AnyReply]:
    """The member said yes: their message goes to the community like /ask."""
    ref = p.get("message_ref")
    return await service.ask(ctx, str(p.get("text", "")), message_ref=str(ref) if ref else None)


register_privacy()

# Imported for their registrations: catalogue changes -> KB rows, KB preload at start,
# questions about the asker's own plan or courses answered before the search.
__all__ = ["about_you", "catalog_sync", "followup", "startup"]


@home_line(30)
async def questions_at_home(ctx: Context) -> str | None:
    """/start for a returning member: answers waiting on their questions, questions waiting
    on their answer."""
    return await service.questions_at_home(ctx)
