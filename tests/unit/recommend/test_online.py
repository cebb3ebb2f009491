"""Online learning: feedback after training moves a member's /recommend without a retrain."""

from __future__ import annotations

from core.jobs import JOBS
from core.recommend import online
from core.recommend.encoders import HashingEncoder
from core.recommend.hybrid import HybridConfig
from core.recommend.service import SERVICE_KEY, RecommendService
from models.catalog import Enrollment
from models.interaction import Interaction

COURSES = [
    ("sql-1", "Intro to SQL", ["sql"], "SQL select queries tables for beginners"),
    ("sql-2", "SQL joins", ["sql"], "SQL joins across tables and keys"),
    ("sql-3", "SQL indexes", ["sql"], "SQL indexes query plans tables speed"),
    ("sql-4", "SQL window functions", ["sql"], "SQL window functions over tables"),
    ("py-1", "Python basics", ["python"], "Python variables functions loops"),
    ("py-2", "Python classes", ["python"], "Python classes objects methods"),
    ("py-3", "Python testing", ["python"], "Python tests pytest fixtures"),
    ("py-4", "Python packaging", ["python"], "Python packages wheels modules"),
]
USERS = {
    "s1": ["sql-1", "sql-2", "sql-3"],
    "s2": ["sql-1", "sql-3", "sql-4"],
    "s3": ["sql-2", "sql-3", "sql-4"],
    "s4": ["sql-1", "sql-2", "sql-4"],
    "p1": ["py-1", "py-2", "py-3"],
    "p2": ["py-1", "py-3", "py-4"],
    "p3": ["py-2", "py-3", "py-4"],
    "p4": ["py-1", "py-2", "py-4"],
    "new": ["py-1"],  # one look at Python before the model was trained
}


async def _setup(app, tmp_path, seeder):
    cfg = HybridConfig(dim=16, epochs=40, batch_size=32, lr=0.05, seed=0, threads=1)
    svc = RecommendService(HashingEncoder(64), tmp_path / "models", cfg)
    app.services.extras[SERVICE_KEY] = svc
    cs = await seeder.courses(COURSES)
    ids = await seeder.opt_in(USERS)
    history = {
        user: [(slug, "course_complete" if user != "new" else "view") for slug in slugs]
        for user, slugs in USERS.items()
    }
    await seeder.histories(ids, cs, history)
    return svc, ids, cs


def _ranks(out: str) -> dict[str, int]:
    """Title -> rank in a /recommend reply."""
    ranks = {}
    for line in out.splitlines()[1:]:
        if not line[:1].isdigit():  # the tap hint and the buttons
            continue
        n, rest = line.split(". ", 1)
        ranks[rest.split(" — ")[0]] = int(n)
    return ranks


def _python_above(ranks: dict[str, int], title: str) -> int:
    """How many Python courses are suggested before `title` (removals elsewhere don't count)."""
    return sum(1 for t, r in ranks.items() if t.startswith("Python") and r < ranks[title])


async def test_sql_feedback_moves_a_new_member_toward_sql_without_retraining(
    console_bot, app, db, clock, tmp_path, seeder
):
    svc, ids, cs = await _setup(app, tmp_path, seeder)
    before = _ranks(await console_bot.send("/recommend 10", as_member="new"))
    version, taken = svc.artifact.version, svc.snapshot.taken_at
    assert min(before, key=before.__getitem__).startswith("Python")  # trained: a Python fan
    clock.advance(hours=2)
    async with db.session() as s, s.begin():
        s.add(
            Interaction(
                member_id=ids["new"],
                course_id=cs["sql-1"],
                kind="digest_click",
                weight=0.0,
                at=clock.now(),
                source="digest",
            )
        )
        s.add(
            Interaction(
                member_id=ids["new"],
                course_id=cs["sql-2"],
                kind="thumbs_up",
                weight=0.0,
                at=clock.now(),
                source="digest",
            )
        )
        s.add(
            Enrollment(
                member_id=ids["new"],
                course_id=cs["sql-3"],
                enrolled_at=clock.now(),
                last_activity_at=clock.now(),
            )
        )
    # the periodic job folds the member in (no retrain), before anyone asks
    await JOBS["recommend.fold_in"].fn(app.services)
    assert svc._online.folded == 1 and ids["new"] in svc._online.rows
    async with db.session() as s:
        assert await online.fold_in_recent(svc, s, clock.now()) == 0  # nothing new since
    after = _ranks(await console_bot.send("/recommend 10", as_member="new"))
    assert svc.artifact.version == version and svc.snapshot.taken_at == taken  # no retrain
    assert "SQL indexes" not in after  # enrolled: not suggested again
    assert _python_above(after, "SQL window functions") < _python_above(
        before, "SQL window functions"
    )
    assert min(after, key=after.__getitem__).startswith("SQL")
    assert svc._online.folded == 1  # served from the job's fold-in, not recomputed


async def test_feedback_is_folded_in_on_demand_in_a_process_without_the_job(
    console_bot, app, db, clock, tmp_path, seeder
):
    svc, ids, cs = await _setup(app, tmp_path, seeder)
    before = _ranks(await console_bot.send("/recommend 10", as_member="new"))
    version = svc.artifact.version
    clock.advance(hours=1)
    async with db.session() as s, s.begin():
        for slug in ("sql-1", "sql-2"):
            s.add(seeder.interaction(ids["new"], cs[slug], "enroll", at=clock.now()))
    after = _ranks(await console_bot.send("/recommend 10", as_member="new"))
    assert svc.artifact.version == version
    for title in ("SQL indexes", "SQL window functions"):
        assert _python_above(after, title) < _python_above(before, title)
    # members whose history the model already knows keep their trained vectors
    await console_bot.send("/recommend 3", as_member="p1")
    assert ids["p1"] not in svc._online.rows
