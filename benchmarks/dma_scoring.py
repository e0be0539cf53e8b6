"""Benchmark of double materiality scoring (docs/benchmarks.md, "Double materiality scoring").

    .venv/bin/python -m benchmarks.dma_scoring [--write-docs]

500 IROs (300 impacts of every sort, 100 risks, 100 opportunities) under 100 matters in a
three-level tree, each rated by 20 raters, scored by `materiality.double.scoring` with
the bootstrap (2,000 resamples per IRO) and rolled up to matters; beside it, in the same
run, a bare pass over the same ratings that computes each IRO's criterion medians and
nothing else. Repetitions alternate between the two; the scoring's cache of resample
scores is emptied before each repetition, so every one starts cold.

Pure Python and numpy: no database, no Django.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shlex
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from benchmarks.report import _cpu_model, _memory, docs_replace, facts_table, markdown_table, say
from materiality.double import scoring
from materiality.double.scoring import Iro, Kind, Occurrence, Polarity, Rating, Settings
from materiality.double.scoring.rollup import roll_up

SEED = 2024
IROS = 500
RATERS = 20
CRITERIA = ("scale", "scope", "irremediability", "likelihood", "magnitude")

Items = list[tuple[Iro, list[Rating]]]


def assessment(iros: int = IROS, raters: int = RATERS) -> tuple[Items, dict[str, str | None]]:
    """Seeded IROs and ratings: each IRO has a true level per criterion and every rater
    is off by -1, 0 or +1 (clipped to 1-5), as real raters roughly agree."""
    rng = random.Random(SEED)
    tree: dict[str, str | None] = {}
    for t in range(10):
        tree[f"T{t}"] = None
        for s in range(3):
            tree[f"T{t}.{s}"] = f"T{t}"
            for u in range(2):
                tree[f"T{t}.{s}.{u}"] = f"T{t}.{s}"
    leaves = [code for code in tree if code.count(".") == 2]  # 60 leaves, 100 matters
    items: Items = []
    for i in range(iros):
        kind = Kind.IMPACT if i % 5 < 3 else (Kind.RISK if i % 5 == 3 else Kind.OPPORTUNITY)
        iro = Iro(
            f"iro-{i:03}",
            rng.choice(leaves),
            kind,
            Polarity.POSITIVE if rng.random() < 0.25 else Polarity.NEGATIVE,
            Occurrence.ACTUAL if rng.random() < 0.3 else Occurrence.POTENTIAL,
            human_rights=rng.random() < 0.1,
        )
        needed = iro.criteria()
        truth = {c: rng.randint(1, 5) for c in needed}
        ratings = []
        for r in range(raters):
            levels = {c: min(5, max(1, truth[c] + rng.choice((-1, 0, 0, 1)))) for c in needed}
            ratings.append(Rating(f"rater-{r:02}", **levels))
        items.append((iro, ratings))
    return items, tree


def bare_pass(items: Items) -> int:
    """Each IRO's criterion medians, nothing more; returns a count so nothing is skipped."""
    seen = 0
    for iro, ratings in items:
        for criterion in iro.criteria():
            statistics.median([getattr(r, criterion) for r in ratings])
            seen += 1
    return seen


def app_pass(items: Items, settings: Settings, tree: dict[str, str | None]) -> int:
    """Score every IRO (medians, formula, bootstrap, flags) and roll up to matters."""
    scoring._from_middles.cache_clear()  # every repetition starts cold
    results = [scoring.score_iro(iro, ratings, settings) for iro, ratings in items]
    matters = roll_up(results, tree)
    return sum(m.material.final for m in matters.values())


def timed(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def facts() -> dict[str, str]:
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "CPU": f"{_cpu_model()}, {len(os.sched_getaffinity(0))} usable of {os.cpu_count()} cores",
        "memory": _memory(),
        "system": platform.platform(),
        "Python / numpy": f"{platform.python_version()} / {version('numpy')}",
        "load average at start (1/5/15 min)": ", ".join(f"{v:.2f}" for v in os.getloadavg()),
    }


def report(
    command: str, machine: dict[str, str], timings: dict[str, list[float]], material: int
) -> str:
    bare = statistics.median(timings["bare"])
    rows = []
    labels = {
        "bare": "bare pass: criterion medians only",
        "no_bootstrap": "scoring and roll-up, no bootstrap",
        "app": f"scoring and roll-up, bootstrap of {Settings().resamples:,} resamples",
    }
    for key, label in labels.items():
        values = timings[key]
        middle = statistics.median(values)
        rows.append(
            [
                label,
                f"{middle * 1000:.1f}",
                f"{min(values) * 1000:.1f}–{max(values) * 1000:.1f}",
                f"{middle / IROS * 1000:.3f}",
                f"{middle / bare:.1f}×",
            ]
        )
    table = markdown_table(["", "median ms", "range ms", "ms per IRO", "ratio to bare"], rows)
    return "\n\n".join(
        [
            "### Results",
            f"Generated by `{command}`.",
            facts_table(machine),
            f"{IROS} IROs × {RATERS} raters, 100 matters ({material} material); "
            f"{len(timings['bare'])} repetitions of each, alternating.",
            table,
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repetitions", type=int, default=3, choices=range(1, 21))
    parser.add_argument("--write-docs", action="store_true", help="update docs/benchmarks.md")
    parser.add_argument("--json", type=Path, help="also write the timings to this file")
    args = parser.parse_args(argv)
    command = ".venv/bin/python -m benchmarks.dma_scoring " + shlex.join(
        sys.argv[1:] if argv is None else argv
    )
    machine = facts()
    say("building the ratings")
    items, tree = assessment()
    with_bootstrap = Settings()
    without = Settings(resamples=0)
    timings: dict[str, list[float]] = {"bare": [], "no_bootstrap": [], "app": []}
    material = app_pass(items, with_bootstrap, tree)  # untimed: imports, first calls
    for repetition in range(args.repetitions):
        say(f"repetition {repetition + 1} of {args.repetitions}")
        timings["bare"].append(timed(lambda: bare_pass(items)))
        timings["no_bootstrap"].append(timed(lambda: app_pass(items, without, tree)))
        timings["app"].append(timed(lambda: app_pass(items, with_bootstrap, tree)))
    machine["load average at end (1/5/15 min)"] = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    text = report(command, machine, timings, material)
    print(text)
    if args.json:
        args.json.write_text(json.dumps({"facts": machine, "timings": timings}, indent=1))
    if args.write_docs:
        docs_replace("dma-scoring", text)
        say("docs/benchmarks.md updated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
