"""The wire's spec check itself: it must reject what Discord would reject."""

from __future__ import annotations

from dc_wire import check_call


def test_known_routes_and_bodies_pass():
    assert check_call("POST", "/channels/{channel_id}/messages", {"content": "hi"}) == []
    assert check_call("PUT", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}", None) == []
    body = {"name": "Q", "message": {"content": "x"}, "applied_tags": ["1"]}
    assert check_call("POST", "/channels/{channel_id}/threads", body) == []


def test_unknown_route_method_and_body_keys_fail():
    assert check_call("POST", "/channels/{channel_id}/mesages", {"content": "hi"})
    assert check_call("PATCH", "/users/@me/channels", {"recipient_id": "1"})
    assert check_call("POST", "/channels/{channel_id}/messages", {"contents": "hi"})
    # a forum post needs its starter message
    assert check_call("POST", "/channels/{channel_id}/threads", {"name": "Q", "applied_tags": []})
