"""Study: character n-grams on the lexical side (2026-12-07; bench/README.md).

Could BM25 find the originals of duplicates 3789 and 3821, which share almost no whole words
with them ("simulator" / "emulators", "learn" / "learning")? Each variant replaces the
tokenizer of ``HybridSearcher``'s BM25 index: ``g<N>`` indexes every English token by its
character N-grams (with word boundaries), ``w+g<N>`` keeps the words and adds the N-grams.
Chinese tokens stay jieba words. Everything else is shipped. The dev sets decide (mean
hybrid MRR over the four, as in the earlier studies); the duplicates are scored after.

    .venv/bin/python bench/qa_ngram.py   # writes bench/results/qa_ngram.json, ~8 min
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from qa import DEFAULT_DATA, PassageCached, QueryCached  # noqa: E402

import core.qa.hybrid as hybrid  # noqa: E402
from core.qa import evaluate as ev  # noqa: E402
from core.qa.tokenize import tokenize  # noqa: E402
from core.recommend.encoders import EmbeddingCache, MiniLMEncoder  # noqa: E402

Tokenizer = Callable[[str], list[str]]


def ngram_tokenizer(n: int, keep_words: bool) -> Tokenizer:
    def tokens(text: str) -> list[str]:
        words = tokenize(text)
        out = list(words) if keep_words else []
        for word in words:
            bounded = f"#{word}#"
            if not word.isascii() or len(bounded) <= n:
                if not keep_words:
                    out.append(word)
                continue
            out += ["~" + bounded[i : i + n] for i in range(len(bounded) - n + 1)]
        return out

    return tokens


VARIANTS: dict[str, Tokenizer] = {"words (shipped)": tokenize}
for _n in (4, 5):
    VARIANTS[f"g{_n}"] = ngram_tokenizer(_n, keep_words=False)
    VARIANTS[f"w+g{_n}"] = ngram_tokenizer(_n, keep_words=True)


def main() -> int:
    ds = ev.load_dataset(DEFAULT_DATA, "train")
    cache = EmbeddingCache(ROOT / "var" / "qa-bench-embeddings.npz")
    shipped = {"shipped": ev.FUSION_CONFIGS[list(ev.FUSION_CONFIGS)[-1]]}
    results: dict[str, object] = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    for name, tokens in VARIANTS.items():
        hybrid.tokenize = tokens  # type: ignore[assignment]
        dev = ev.eval_dev_sets(ds, QueryCached(MiniLMEncoder(), cache), configs=shipped)
        row: dict[str, object] = {
            s: {m: v[f"{m}/shipped"] for m in ("lexical", "dense", "hybrid")}
            for s, v in dev.items()
        }
        row["mean_dev_hybrid"] = round(sum(v["hybrid/shipped"] for v in dev.values()) / len(dev), 4)
        dups = ev.eval_duplicates(ds, PassageCached(MiniLMEncoder(), cache))
        row["duplicates_mrr"] = {m: round(dups[m]["mrr"], 3) for m in ev.MODES}
        row["duplicates_rank"] = {str(q["dup_id"]): q["rank"] for q in dups["queries"]}
        cache.save()
        results[name] = row
        print(name, json.dumps(row), flush=True)
    hybrid.tokenize = tokenize
    results["load_average_1m_after"] = round(os.getloadavg()[0], 2)
    out = ROOT / "bench" / "results" / "qa_ngram.json"
    out.write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
