"""The wire's spec check itself: it must catch the mistakes it exists to catch."""

from __future__ import annotations

from tg_wire import check_call


def test_valid_calls_pass():
    assert check_call("sendMessage", {"chat_id": 5, "text": "hi", "parse_mode": "HTML"}) == []
    assert (
        check_call(
            "sendMessage",
            {
                "chat_id": "-1001",
                "text": "x",
                "reply_markup": {"inline_keyboard": [[{"text": "Pay", "callback_data": "p~x"}]]},
            },
        )
        == []
    )
    assert (
        check_call("setMyCommands", {"commands": [], "scope": {"type": "all_chat_administrators"}})
        == []
    )
    assert check_call("sendPhoto", {"chat_id": 1}, {"photo"}) == []


def test_unknown_method_missing_unknown_and_mistyped_parameters_are_caught():
    assert check_call("sendMesage", {}) == ["sendMesage: no such Bot API method"]
    assert any("text: required" in e for e in check_call("sendMessage", {"chat_id": 1}))
    assert any(
        "unknown parameter" in e
        for e in check_call("sendMessage", {"chat_id": 1, "text": "a", "colour": "red"})
    )
    assert any(
        "expected Boolean" in e or "not any" in e
        for e in check_call(
            "unbanChatMember", {"chat_id": 1, "user_id": 2, "only_if_banned": "yes"}
        )
    )
    assert (
        check_call("banChatMember", {"chat_id": 1, "user_id": "2"}) != []
    )  # user_id is an Integer
    bad_button = {"inline_keyboard": [[{"text": "Pay", "callback": "x"}]]}
    assert check_call("sendMessage", {"chat_id": 1, "text": "a", "reply_markup": bad_button}) != []
    assert check_call("setMyCommands", {"commands": [], "scope": {"type": "everyone"}}) != []
    assert check_call("createForumTopic", {"chat_id": 1, "name": "t"}, {"name"}) != []
