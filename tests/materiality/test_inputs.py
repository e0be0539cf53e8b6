"""A run's input read from the counts: the cells a read makes are the same whether or
not the process made equal ones before (`inputs._CellsMade`)."""

from __future__ import annotations

import dataclasses

import pytest

from materiality.demo.storing import replies_load
from materiality.models import Assessment
from materiality.runs import inputs
from materiality.runs.inputs import RunInput, assessment_vocabulary, fingerprint, read_input
from materiality.runs.options import run_options

pytestmark = pytest.mark.django_db


def cells_of(run_input: RunInput) -> list[tuple[object, ...]]:
    return sorted((c.topic, c.axis, c.group, c.internal, c.level, c.count) for c in run_input.cells)


def fresh_read(assessment: Assessment, vocabulary: inputs.Vocabulary) -> RunInput:
    """A read whose cells are all made anew (no earlier read's cells to take)."""
    options = run_options(assessment, group_weights=vocabulary.weights)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(inputs, "_cells", inputs._CellsMade())
        return read_input(assessment, options, vocabulary=vocabulary)


def test_a_read_makes_the_same_cells_as_a_read_that_made_none_before(
    open_assessment: Assessment,
) -> None:
    replies = {"customers": 6, "employees": 5, "media": 4}
    replies_load(assessment=open_assessment, replies_per_group=replies, seed=1)
    vocabulary = assessment_vocabulary(open_assessment)
    options = run_options(open_assessment, group_weights=vocabulary.weights)
    first = read_input(open_assessment, options, vocabulary=vocabulary)
    assert cells_of(first) == cells_of(fresh_read(open_assessment, vocabulary))

    # New replies change some counts: their cells are new, the others taken.
    replies_load(assessment=open_assessment, replies_per_group={"customers": 2}, seed=2)
    second = read_input(open_assessment, options, vocabulary=vocabulary)
    fresh = fresh_read(open_assessment, vocabulary)
    assert cells_of(second) == cells_of(fresh) != cells_of(first)
    assert fingerprint(second, options) == fingerprint(fresh, options)
    assert {c.group for c in second.cells} == set(replies)

    # A group the assessment no longer has is left out, though the last read made its
    # cells.
    without = dataclasses.replace(
        vocabulary, groups=[g for g in vocabulary.groups if g != "customers"]
    )
    third = read_input(open_assessment, options, vocabulary=without)
    assert {c.group for c in third.cells} == {"employees", "media"}
    assert cells_of(third) == cells_of(fresh_read(open_assessment, without))
    assert cells_of(third) == [c for c in cells_of(second) if c[2] != "customers"]
