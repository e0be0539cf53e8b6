"""The parts of the results page that only a run's stored figures decide — the ranking,
the groups' heatmaps, internal against external, the sensitivity — rendered once and
kept in the cache, so that the page reads them instead of rendering some 10,000
template lookups on every visit.

A finished run's scores never change (new replies or settings make a new run), but
what these parts print beside the figures can: a topic's or a group's name, a group's
internal flag, the assessment's groups. The cache key carries their `updated_at` stamps
(read by the queries the page makes anyway), so a renamed topic is shown at once and
nothing has to be invalidated. It also carries the page language and whether the run's
task has stored its sensitivity yet (before that the page scores it on request, the
same figures). The group, chart language and whiskers chosen on the page change only
the matrix and the forms, never these parts, so they are not in the key.

When the cache cannot be reached the parts are rendered on each visit: slower, never
an error (logged for the operator).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from redis.exceptions import RedisError

from materiality.models import AggregationRun, StakeholderGroup
from materiality.reporting.breakdowns import heatmaps_and_sides, run_sensitivity
from materiality.runs.selectors import ScoreRow

logger = logging.getLogger(__name__)

# Entries are never stale (the key changes with everything they show); the timeout only
# lets the cache forget runs nobody looks at any more.
TIMEOUT_SECONDS = 14 * 24 * 3600
RANKING_TEMPLATE = "materiality/includes/results_ranking.html"
BREAKDOWNS_TEMPLATE = "materiality/includes/results_breakdowns.html"


@dataclass(frozen=True)
class RunSections:
    ranking: SafeString
    breakdowns: SafeString  # heatmaps, internal/external, sensitivity
    has_heatmaps: bool  # the page's navigation links to the groups only if there are any
    # What was computed to render them (empty when they came from the cache), added to
    # the page's context as before the cache, for whoever inspects it (tests).
    context: dict[str, Any]


def run_sections(
    run: AggregationRun,
    scores: Sequence[ScoreRow],
    groups: Sequence[StakeholderGroup],
    language: str,
) -> RunSections:
    """The run's fixed parts of the results page in *language*: from the cache, or
    rendered (two queries: the group scores, the sensitivity's topics) and kept."""
    key = sections_key(run, scores, groups, language)
    try:
        found = cache.get(key)
    except RedisError:
        logger.error("Results page not cached: the cache cannot be reached", exc_info=True)
        return _rendered(run, scores, groups)
    if isinstance(found, dict):
        return RunSections(
            ranking=mark_safe(found["ranking"]),  # noqa: S308 - rendered by our templates
            breakdowns=mark_safe(found["breakdowns"]),  # noqa: S308 - as above
            has_heatmaps=bool(found["has_heatmaps"]),
            context={},
        )
    sections = _rendered(run, scores, groups)
    stored = {
        "ranking": str(sections.ranking),
        "breakdowns": str(sections.breakdowns),
        "has_heatmaps": sections.has_heatmaps,
    }
    try:
        cache.set(key, stored, TIMEOUT_SECONDS)
    except RedisError:
        logger.error("Results page not cached: the cache cannot be reached", exc_info=True)
    return sections


def _rendered(
    run: AggregationRun, scores: Sequence[ScoreRow], groups: Sequence[StakeholderGroup]
) -> RunSections:
    heatmaps, sides = heatmaps_and_sides(run, [row.score.topic for row in scores], list(groups))
    # Stored by the run's task; computed here only for a run from before.
    variant_list, sensitivity_rows = run_sensitivity(run)
    context = {
        "run": run,
        "scores": scores,
        "heatmaps": heatmaps,
        "sides": sides,
        "variants": variant_list,
        "sensitivity": sensitivity_rows,
    }
    return RunSections(
        ranking=mark_safe(render_to_string(RANKING_TEMPLATE, context)),  # noqa: S308
        breakdowns=mark_safe(render_to_string(BREAKDOWNS_TEMPLATE, context)),  # noqa: S308
        has_heatmaps=bool(heatmaps),
        context=context,
    )


def sections_key(
    run: AggregationRun,
    scores: Sequence[ScoreRow],
    groups: Sequence[StakeholderGroup],
    language: str,
) -> str:
    stamps = [f"t{row.score.topic_id}:{row.score.topic.updated_at.timestamp()}" for row in scores]
    stamps += [f"g{group.pk}:{group.updated_at.timestamp()}" for group in groups]
    stamps.append("s1" if run.sensitivity is not None else "s0")
    digest = hashlib.sha256("|".join(stamps).encode()).hexdigest()[:32]
    return f"results-sections:v1:{run.pk}:{language}:{digest}"
