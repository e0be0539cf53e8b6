"""A worker keeps each bootstrap cell's resampled sums (scoring/bootstrap.py, `_cell_sums`)
and draws again only the cells whose counts changed: the scores are the very numbers a
fresh process computes, bit for bit."""

from __future__ import annotations

import dataclasses

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
