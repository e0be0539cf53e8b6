"""A worker keeps each bootstrap cell's resampled sums (scoring/bootstrap.py, `_cell_sums`)
and draws again only the cells whose counts changed: the scores are the very numbers a
fresh process computes, bit for bit."""

from __future__ import annotations

import dataclasses
import threading

from materiality.scoring import Cell, Params, ScoreResult, score
from materiality.scoring.bootstrap import _cell_sums
from tests.materiality.test_scoring import EXAMPLE_GROUPS, EXAMPLE_TOPICS, example_cells


def scored(cells: list[Cell], params: Params) -> ScoreResult:
    return score(cells, topics=EXAMPLE_TOPICS, groups=EXAMPLE_GROUPS, params=params)


def hits() -> int:
    return _cell_sums.cache_info()[0]


def misses() -> int:
    return _cell_sums.cache_info()[1]


def test_kept_sums_give_the_scores_a_fresh_draw_gives() -> None:
    params = Params(bootstrap_samples=500, seed=11)
    cells = example_cells()
    _cell_sums.cache_clear()
    fresh = scored(cells, params)
    assert misses() > 0
    again = scored(cells, params)
    assert hits() > 0
    assert again == fresh
    # One more rating in one cell: that cell is drawn again, the others are kept, and
    # the result equals a fresh process's.
    first = cells[0]
    changed = [dataclasses.replace(first, count=first.count + 1), *cells[1:]]
    before = misses()
    kept = scored(changed, params)
    assert misses() == before + 1
    _cell_sums.cache_clear()
    assert kept == scored(changed, params)
    assert kept != fresh


def test_another_seed_draws_anew() -> None:
    cells = example_cells()
    one = scored(cells, Params(bootstrap_samples=500, seed=1))
    two = scored(cells, Params(bootstrap_samples=500, seed=2))
    assert one != two
    _cell_sums.cache_clear()
    assert scored(cells, Params(bootstrap_samples=500, seed=1)) == one


def test_the_sums_kept_stay_within_their_memory_budget_and_a_large_run_scores_alike() -> None:
    # At the allowed maximum of 100,000 resamples a cell's sums are 800 KB: a worker
    # keeping 4,096 cells, as it may at 1,000, would hold 3 GB. It keeps the most recent
    # within the budget, and a cell it let go is drawn again to the same numbers.
    params = Params(bootstrap_samples=100_000, seed=5)
    cells = example_cells()
    _cell_sums.cache_clear()
    budget, _cell_sums.budget = _cell_sums.budget, 2 * 800_000  # two cells' worth
    try:
        first = scored(cells, params)
        assert _cell_sums.cache_info()[2] <= _cell_sums.budget
        assert scored(cells, params) == first  # every cell but the last two drawn again
    finally:
        _cell_sums.budget = budget
        _cell_sums.cache_clear()
    assert scored(cells, params) == first


def test_a_kept_block_gives_a_fresh_draws_scores_after_every_kind_of_change() -> None:
    # A worker keeps the latest block of an assessment's cells and puts in only the cells
    # whose counts changed: a cell that lost its ratings, another confidence, another
    # list of topics or groups, each scored warm, equals the same scored cold.
    params = Params(bootstrap_samples=300, seed=4)
    cells = example_cells()
    emptied = [cell for cell in cells if (cell.topic, cell.group) != ("climate", "customers")]
    one_more = [*emptied, Cell("climate", "company", "employees", True, 1, 1)]
    runs = [
        (cells, EXAMPLE_TOPICS, EXAMPLE_GROUPS, params),
        (emptied, EXAMPLE_TOPICS, EXAMPLE_GROUPS, params),
        (one_more, EXAMPLE_TOPICS, EXAMPLE_GROUPS, params),
        (one_more, EXAMPLE_TOPICS, EXAMPLE_GROUPS, dataclasses.replace(params, confidence=0.8)),
        (one_more, (*EXAMPLE_TOPICS, "water"), EXAMPLE_GROUPS, params),
        (one_more, EXAMPLE_TOPICS, (*EXAMPLE_GROUPS, "investors"), params),
        (cells, EXAMPLE_TOPICS, EXAMPLE_GROUPS, params),
    ]
    _cell_sums.cache_clear()
    warm = [score(c, topics=t, groups=g, params=p) for c, t, g, p in runs]
    assert hits() > 0
    for (c, t, g, p), result in zip(runs, warm, strict=True):
        _cell_sums.cache_clear()
        assert score(c, topics=t, groups=g, params=p) == result


def test_runs_in_threads_share_the_kept_sums_and_score_as_one_alone() -> None:
    # Celery may run a worker's tasks in threads: a kept block is never written, a run
    # copies it before it puts its own cells in.
    params = Params(bootstrap_samples=200, seed=9)
    tables = [
        [*example_cells(), Cell("privacy", "stakeholder", "customers", False, 1, k)]
        for k in range(1, 9)
    ]
    _cell_sums.cache_clear()
    alone = [scored(cells, params) for cells in tables]
    found: dict[int, list[ScoreResult]] = {}

    def run(worker: int) -> None:
        order = tables if worker % 2 else tables[::-1]
        found[worker] = [scored(cells, params) for cells in order * 3]

    threads = [threading.Thread(target=run, args=(worker,)) for worker in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for worker in range(4):
        assert found[worker] == (alone if worker % 2 else alone[::-1]) * 3


def test_a_block_counts_within_the_budget_and_is_not_kept_when_too_large() -> None:
    params = Params(bootstrap_samples=1000, seed=3)
    cells = example_cells()
    _cell_sums.cache_clear()
    first = scored(cells, params)
    block_and_cells = _cell_sums.cache_info()[2]
    # 3 topics x 2 axes x 2 groups: 12 cells' sums, and a block of as many again.
    assert block_and_cells >= 2 * 12 * 8000
    budget, _cell_sums.budget = _cell_sums.budget, 3 * 12 * 8000  # under four blocks
    try:
        _cell_sums.cache_clear()
        assert scored(cells, params) == first
        assert _cell_sums.cache_info()[2] == 12 * 8000  # the cells only
        assert scored(cells, params) == first
    finally:
        _cell_sums.budget = budget
        _cell_sums.cache_clear()
