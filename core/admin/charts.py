"""PNG charts of `analytics.Stats` (matplotlib, Agg canvas, no pyplot global state).

Chinese labels need a font with CJK glyphs. We ship Noto Sans CJK as a Python package (most
servers have no CJK font installed); `cjk_font()` registers it, or finds another installed font
with Chinese glyphs. Only if neither exists do zh-CN charts fall back to English labels (the
caption says so) rather than showing empty boxes.
"""

from __future__ import annotations

import io
from functools import lru_cache
from typing import Any

import matplotlib

matplotlib.use("Agg")

from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from core.admin.analytics import Stats, major, money  # noqa: E402
from core.i18n import normalize_locale, translate  # noqa: E402


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The family name of an installed font that has Chinese glyphs, or None."""
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    try:
        import cvttf_NotoSansCJK_Regular as bundled

        path = bundled.get_TTF_path()
        font_manager.fontManager.addfont(path)
        return str(font_manager.FontProperties(fname=path).get_name())
    except (ImportError, OSError, RuntimeError, ValueError):
        pass
    for entry in font_manager.fontManager.ttflist:
        try:
            if ord("中") in FT2Font(entry.fname).get_charmap():
                return str(entry.name)
        except (OSError, RuntimeError, ValueError):
            continue
    return None


def chart_locale(locale: str | None) -> tuple[str, bool]:
    """(locale the chart is labelled in, whether it fell back to English for lack of a font)."""
    loc = normalize_locale(locale)
    if loc == "zh-CN" and cjk_font() is None:
        return "en", True
    return loc, False


def render(st: Stats, locale: str | None = "en") -> tuple[bytes, bool]:
    """A 2x2 dashboard PNG; returns (png bytes, fell_back_to_english)."""
    loc, fell_back = chart_locale(locale)
    family = cjk_font() if loc == "zh-CN" else None
    rc: dict[str, Any] = {"font.family": [family, "DejaVu Sans"]} if family else {}
    with matplotlib.rc_context(rc):  # type: ignore[arg-type]
        return _draw(st, loc), fell_back


def _draw(st: Stats, loc: str) -> bytes:
    def t(key: str) -> str:
        return translate(loc, f"stats.chart_{key}")

    fig = Figure(figsize=(11, 8), dpi=100)
    FigureCanvasAgg(fig)
    axes = fig.subplots(2, 2)

    ax = axes[0][0]
    states = list(st.members_by_state.items()) or [("none", 0)]
    ax.bar([s for s, _ in states], [n for _, n in states], color="#4C72B0")
    ax.set_title(t("members_by_state"))
    ax.set_ylabel(t("members"))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    for i, (_, n) in enumerate(states):
        ax.annotate(str(n), (i, n), ha="center", va="bottom")

    ax = axes[0][1]
    mrr = list(st.mrr.items())
    if mrr:
        heights = [major(v, c) for c, v in mrr]
        ax.bar([c for c, _ in mrr], heights, color="#55A868")
        for i, (c, v) in enumerate(mrr):
            ax.annotate(money(v, c), (i, heights[i]), ha="center", va="bottom")
    else:
        ax.text(0.5, 0.5, t("no_data"), ha="center", va="center", transform=ax.transAxes)
    ax.set_title(t("mrr"))
    ax.set_ylabel(t("per_month"))

    ax = axes[1][0]
    if st.cohorts:
        width = max(len(cells) for _, _, cells in st.cohorts)
        grid = [cells + [float("nan")] * (width - len(cells)) for _, _, cells in st.cohorts]
        im = ax.imshow(grid, aspect="auto", cmap="Blues", vmin=0, vmax=1)
        ax.set_yticks(range(len(st.cohorts)), [f"{m} (n={n})" for m, n, _ in st.cohorts])
        ax.set_xticks(range(width), [str(k) for k in range(width)])
        ax.set_xlabel(t("weeks_since_join"))
        fig.colorbar(im, ax=ax)
    else:
        ax.text(0.5, 0.5, t("no_data"), ha="center", va="center", transform=ax.transAxes)
    ax.set_title(t("cohorts"))

    ax = axes[1][1]
    rates = [
        (t("trial_conversion"), st.conversion),
        (t("digest_open"), st.open_rate),
        (t("digest_click"), st.click_rate),
        (t("rec_ctr"), st.rec_ctr),
    ]
    ax.barh([r for r, _ in rates], [(v or 0) * 100 for _, v in rates], color="#C44E52")
    ax.set_xlim(0, 100)
    ax.set_xlabel("%")
    ax.set_title(t("rates"))
    for i, (_, rate) in enumerate(rates):
        label = "-" if rate is None else f"{rate * 100:.0f}%"
        ax.annotate(label, ((rate or 0) * 100, i), va="center")

    fig.suptitle(t("title").format(since=f"{st.since:%Y-%m-%d}", until=f"{st.until:%Y-%m-%d}"))
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()
