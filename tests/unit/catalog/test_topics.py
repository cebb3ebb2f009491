"""Topic names as members read them in lists and inside sentences, and as they type them."""

from __future__ import annotations

from core.catalog.topics import Topics

T = Topics(
    {
        "deep-learning": ("Deep learning", "深度学习"),
        "sql": ("SQL", ""),
        "devops": ("DevOps", "运维"),
        "web": ("", ""),
        "python": ("Python", "Python"),
        "stats": ("Statistics", "统计"),
    }
)


def test_lists_use_titles_and_sentences_lower_only_plain_words():
    assert T.names(["deep-learning", "sql", "web", "nlp"], "en") == "Deep learning, SQL, web, nlp"
    assert T.names(["deep-learning", "sql"], "zh-CN") == "深度学习、SQL"  # no zh title: English
    said = T.named({"topic": "deep-learning", "tag": "devops", "title": "Git"}, "en")
    assert said == {"topic": "deep learning", "tag": "DevOps", "title": "Git"}
    assert T.named({"topic": "deep-learning"}, "zh-CN") == {"topic": "深度学习"}
    # a name keeps its capital: "members learning Python" (was "python"), not "statistics"
    assert (
        T.in_sentence("python", "en") == "Python" and T.in_sentence("stats", "en") == "statistics"
    )


def test_a_topic_is_typed_as_its_slug_or_either_title():
    for typed in ("deep-learning", "Deep  Learning", "深度学习"):
        assert T.slug(typed) == "deep-learning"
    assert T.slug("cooking") is None and T.slug("") is None
