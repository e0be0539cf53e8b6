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


def test_kept_sums_give_the_scores_a_fresh_draw_gives() -> None:
    params = Params(bootstrap_samples=500, seed=11)
    cells = example_cells()
    _cell_sums.cache_clear()
    fresh = scored(cells, params)
    assert _cell_sums.cache_info().misses > 0
    again = scored(cells, params)
    assert _cell_sums.cache_info().hits > 0
    assert again == fresh
    # One more rating in one cell: that cell is drawn again, the others are kept, and
    # the result equals a fresh process's.
    first = cells[0]
    changed = [dataclasses.replace(first, count=first.count + 1), *cells[1:]]
    misses = _cell_sums.cache_info().misses
    kept = scored(changed, params)
    assert _cell_sums.cache_info().misses == misses + 1
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
