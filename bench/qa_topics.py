"""Where "on the question's topic" starts, per encoder (``Calibration.related_cosine``).

    .venv/bin/python bench/qa_topics.py [--out bench/results/qa_topics.json]

Questions the demo community has material on (on-topic) and questions it has none on
(off-topic: cooking, travel, sport, ...), English through MiniLM and Chinese through E5 as
the bot routes them, against the demo community's course, lesson and FAQ passages. For each
question the best cosine over the passages; a good floor sits between the off-topic maxima
and the on-topic minima. Threads take topic tags only from entries above the floor.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from core.demo.seed import load_demo_data  # noqa: E402
from core.qa.hybrid import CALIBRATIONS  # noqa: E402
from core.qa.service import default_encoders  # noqa: E402

OFF_EN = [
    "What does quantum entanglement mean for superconducting qubits?",
    "How do I connect my Raspberry Pi to the lab oscilloscope?",
    "Where can I get the best pizza in Rome?",
    "How do I tune a guitar?",
    "What is the best way to train for a marathon?",
    "How long should I boil an egg?",
    "Which plants grow well in shade?",
    "How do I change a flat tyre on my bike?",
    "What's a good beginner camera for landscape photos?",
    "How do I get my cat to stop scratching the sofa?",
    "Is it better to rent or buy a house?",
    "How do I remove a red wine stain from a carpet?",
    "What is the capital of Australia?",
    "How do I learn to swim as an adult?",
    "Which vaccines do I need for travelling to Kenya?",
    "How do I knit a scarf?",
    "What causes the northern lights?",
    "How do I negotiate a higher salary?",
    "What is the difference between baking soda and baking powder?",
    "How do I repot an orchid?",
]
ON_EN = [
    "How do I find customers who have no orders?",
    "How do I join two tables in SQL?",
    "my model does great in training but bad in production",
    "how to plot a histogram in matplotlib",
    "what is a p-value in an A/B test",
    "how do I build a docker image for flask",
    "which lr schedule is best for fine-tuning transformers on small data",
    "how do I rebase my branch onto main",
    "what is the difference between a process and a thread in linux",
    "how do I handle missing dates in a time series",
    "how do I compute eigenvalues with numpy",
    "what is matrix factorization in recommenders",
    "how do I write a REST endpoint that returns JSON",
    "how do I schedule a nightly batch job for my pipeline",
    "what does Bayes rule say",
    "how do I make a python class with inheritance",
    "why does my asyncio program block",
    "how to speed up a slow postgres query",
    "how do I pick a sample size for an experiment",
    "what is backpropagation in pytorch",
]
OFF_ZH = [
    "量子纠缠是什么意思，和超导量子比特有什么关系？",
    "如何给猫洗澡？",
    "罗马哪里的披萨最好吃？",
    "怎么给吉他调音？",
    "马拉松训练应该怎么安排？",
    "鸡蛋要煮多久？",
    "哪些植物适合在阴凉处生长？",
    "怎么修自行车的爆胎？",
    "租房好还是买房好？",
    "怎么去除地毯上的红酒渍？",
    "澳大利亚的首都是哪里？",
    "成年人怎么学游泳？",
]
ON_ZH = [
    "怎么撤销已经推送的 git 提交？",
    "如何在SQL中连接两个表？",
    "我的模型在训练集上很好，在新数据上很差",
    "怎么用 matplotlib 画直方图？",
    "A/B 测试里的 p 值是什么意思？",
    "怎么为 flask 应用构建 docker 镜像？",
    "怎么微调 transformer 模型？",
    "pandas 怎么处理缺失值？",
    "贝叶斯公式是什么？",
    "Python 的类怎么继承？",
    "PostgreSQL 查询很慢怎么办？",
    "推荐系统里的矩阵分解是什么？",
]


def passages() -> tuple[list[str], list[str]]:
    data = load_demo_data()
    en: list[str] = []
    zh: list[str] = []
    for c in data["courses"]:
        en.append(f"{c['title']}\n{c['description']}")
        zh.append(f"{c['title_zh']}\n{c['description_zh']}")
        en += [f"{x['title']} · {c['title']}\n{x['content']}" for x in c["lessons"]]
    for f in data["faq"]:
        (zh if f.get("lang") == "zh" else en).append(
            f"{f['title']}\n{f.get('body') or f['answer']}"
        )
    return en, zh


def best_cosines(encoder, texts: list[str], questions: list[str]) -> list[float]:  # type: ignore[no-untyped-def]
    mat = encoder.encode(texts, kind="passage")
    mat = mat / np.linalg.norm(mat, axis=1, keepdims=True)
    out = []
    for q in questions:
        v = encoder.encode([q], kind="query")[0]
        out.append(round(float((mat @ (v / np.linalg.norm(v))).max()), 3))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "qa_topics.json"))
    args = ap.parse_args()
    en, zh = passages()
    encoders = default_encoders()
    results = {}
    for lang, texts, off, on in (("en", en, OFF_EN, ON_EN), ("zh", zh + en, OFF_ZH, ON_ZH)):
        enc = encoders[lang]
        off_cos = best_cosines(enc, texts, off)
        on_cos = best_cosines(enc, texts, on)
        floor = CALIBRATIONS[enc.name].related_cosine
        results[lang] = {
            "encoder": enc.name,
            "passages": len(texts),
            "off_topic_max": max(off_cos),
            "on_topic_min": min(on_cos),
            "floor": floor,
            "off_topic_above_floor": sum(c >= floor for c in off_cos),
            "on_topic_below_floor": sum(c < floor for c in on_cos),
            "off_topic": dict(zip(off, off_cos, strict=True)),
            "on_topic": dict(zip(on, on_cos, strict=True)),
        }
        r = results[lang]
        print(
            f"{lang} {enc.name}: off-topic max {r['off_topic_max']}, on-topic min "
            f"{r['on_topic_min']}, floor {floor} ({r['off_topic_above_floor']} off above, "
            f"{r['on_topic_below_floor']} on below)"
        )
    Path(args.out).write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
