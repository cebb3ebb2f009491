"""Both catalogs carry the same keys with the same placeholders; every command has help text."""

from __future__ import annotations

from core.i18n import LOCALES, catalog, normalize_locale, placeholders, sentences, translate
from core.router import COMMANDS, load_features


def test_catalogs_have_same_keys_and_placeholders():
    en, zh = catalog("en"), catalog("zh-CN")
    assert set(en) == set(zh), (
        f"missing in zh: {set(en) - set(zh)}; missing in en: {set(zh) - set(en)}"
    )
    bad = [k for k in en if placeholders(en[k]) != placeholders(zh[k])]
    assert not bad, f"placeholders differ: {bad}"


def test_every_command_has_help_in_both_languages():
    load_features()
    for spec in COMMANDS.values():
        for loc in LOCALES:
            assert spec.help_key in catalog(loc), f"/{spec.name}: {spec.help_key} missing in {loc}"
            if spec.usage_key:
                assert spec.usage_key in catalog(loc), f"/{spec.name}: usage missing in {loc}"


def test_locale_fallback_and_normalisation():
    assert normalize_locale("zh-hans") == "zh-CN"
    assert normalize_locale("en-US") == "en"
    assert normalize_locale(None) == "en"
    assert translate("zh-CN", "errors.unknown_command", name="x").startswith("我不认识")
    assert translate("en", "no.such.key") == "no.such.key"


def test_counts_take_the_right_word_in_english_and_none_in_chinese():
    assert translate("en", "qa.mine_header", n=1) == "Your question:"
    assert translate("en", "qa.mine_header", n=3) == "Your last 3 questions:"
    assert translate("en", "membership.code_unknown", left=1).endswith("(1 try left this hour).")
    assert translate("en", "membership.code_unknown", left=0).endswith("(0 tries left this hour).")
    assert "{" not in translate("en", "membership.codes_made", n=1, plan="p", uses=2, expires="x")
    assert "1 code for p, 2 uses each" in translate(
        "en", "membership.codes_made", n=1, plan="p", uses=2, expires="x"
    )
    # a count left out shows its placeholder and the plural, never the form's syntax
    assert translate("en", "qa.mine_open") == "being discussed, {n} answers so far"
    assert translate("zh-CN", "qa.mine_header", n=1) == "你最近的 1 个问题："


def test_a_chinese_value_sits_against_chinese_text_and_a_latin_one_keeps_its_spaces():
    # the templates space a value for Latin words: "学习 SQL 的成员都喜欢"
    assert translate("zh", "recommend.why_popular_topic", topic="SQL") == "学习 SQL 的成员都喜欢"
    assert translate("zh", "recommend.why_popular_topic", topic="数学") == "学习数学的成员都喜欢"
    assert translate("zh", "digest.why_tag", tag="机器学习") == "对机器学习感兴趣的成员都在学"
    # mixed: each side looks at its own end of the value
    assert (
        translate("zh", "recommend.peer_knows", topic="Python 编程") == "熟悉你想学的 Python 编程"
    )
    assert translate("zh", "engagement.nudge", days=3).startswith("🔥 你已连续学习 3 天")
    # English never changes
    assert translate("en", "recommend.why_popular_topic", topic="数学").endswith("learning 数学")


def test_sentences_follow_each_other_as_each_language_writes_them():
    """A moderator's Chinese confirmation read "完成：已开通套餐。 现在有效期至…"."""
    assert sentences("Done: plan granted.", "", "It now runs until May.") == (
        "Done: plan granted. It now runs until May."
    )
    assert (
        sentences("完成：已开通套餐。", "现在有效期至 5 月。")
        == "完成：已开通套餐。现在有效期至 5 月。"
    )
    assert sentences("解除封禁。", "（它本会自动结束。）") == "解除封禁。（它本会自动结束。）"
