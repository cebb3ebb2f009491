"""Full-width letters and digits from a Chinese keyboard ("／courses", "/enroll ＳＱＬ入门",
"/done 第２课", "/digest 免打扰：22-7") are read as typed in ASCII: each got "I didn't
understand" or "no course called ..." before."""

from __future__ import annotations


async def test_full_width_commands_and_arguments_are_read(app, console_bot):
    from core.demo.seed import seed_demo

    async with app.services.session_factory() as s, s.begin():
        await seed_demo(s, app.services.clock)
    send = console_bot.send
    await send("/language zh", as_member="xiaoming")
    assert "课程（22 门）" in await send("／courses")
    assert "你已报名“SQL 入门”" in await send("/enroll ＳＱＬ入门")
    assert "用 WHERE 过滤行" in await send("/done 第２课")
    assert "22:00–07:00" in await send("/digest 免打扰：22-7")
    out = await send("/redeem ＡＢＣＤ－ＥＦＧＨ－ＪＫＬＭ")
    assert "请提供兑换码" not in out and "兑换码无效" in out  # tried as a code, not "give a code"


async def test_chinese_punctuation_in_a_sentence_is_left_as_typed(console_bot):
    """Only letters and digits change outside a command: "，" and "：" are what Chinese
    sentences are matched by."""
    from core.router import _narrow

    assert _narrow("我想学ＳＱＬ，每周３小时：可以吗？") == "我想学SQL，每周3小时：可以吗？"
    assert _narrow("／digest 免打扰：22-7") == "/digest 免打扰:22-7"
