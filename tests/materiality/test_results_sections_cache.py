"""The results page renders a run's ranking, heatmaps and sensitivity once per run and
language, and reads them from the cache afterwards — never stale, never an error."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from redis.exceptions import ConnectionError as RedisConnectionError

from materiality.models import AggregationRun, TopicScore
from materiality.reporting import run_sections

pytestmark = pytest.mark.django_db


def client_for(user: Any, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def page(client: Client, run: AggregationRun) -> tuple[str, int]:
    """The page's HTML without its CSRF tokens (new on every request), and its queries."""
    url = reverse("materiality:results", args=[run.assessment_id]) + f"?run={run.pk}"
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    html = re.sub(r'name="csrfmiddlewaretoken" value="\w+"', "", response.content.decode())
    return html, len(queries)


def test_a_second_visit_shows_the_same_page_without_reading_the_scores_again(
    esg_user: Any, scored_run: AggregationRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = client_for(esg_user)
    first, first_queries = page(client, scored_run)
    rendered: list[object] = []

    def heatmaps_and_sides(*args: object) -> tuple[list[object], list[object]]:
        rendered.append(args)
        return [], []

    monkeypatch.setattr(run_sections, "heatmaps_and_sides", heatmaps_and_sides)
    second, second_queries = page(client, scored_run)
    assert second == first
    assert rendered == []
    assert second_queries < first_queries
    assert "Topics ranked" in second
    assert 'href="#groups"' in second


def test_a_renamed_topic_or_group_is_shown_at_once(
    esg_user: Any, scored_run: AggregationRun
) -> None:
    client = client_for(esg_user)
    page(client, scored_run)
    topic = TopicScore.objects.filter(run=scored_run).select_related("topic").first().topic  # type: ignore[union-attr]
    topic.name = {"en": "Renamed topic", "zh-hans": "改名的议题"}
    topic.save()
    group = scored_run.assessment.groups.first()
    assert group is not None
    group.name = {"en": "Renamed group", "zh-hans": "改名的群体"}
    group.save()
    html, _queries = page(client, scored_run)
    ranking = html[html.index('id="ranking"') : html.index('id="method"')]
    assert "Renamed topic" in ranking
    heatmaps = html[html.index('id="groups"') : html.index('id="sensitivity"')]
    assert "Renamed group" in heatmaps


def test_each_page_language_has_its_own_tables(esg_user: Any, scored_run: AggregationRun) -> None:
    english, _queries = page(client_for(esg_user, "en"), scored_run)
    chinese, _queries = page(client_for(esg_user, "zh-hans"), scored_run)
    assert "Topics ranked" in english
    assert "Topics ranked" not in chinese
    again, _queries = page(client_for(esg_user, "en"), scored_run)
    assert again == english


def test_the_page_works_when_the_cache_cannot_be_reached(
    esg_user: Any, scored_run: AggregationRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Unreachable:
        def get(self, *args: Any) -> None:
            raise RedisConnectionError("down")

        def set(self, *args: Any) -> None:
            raise RedisConnectionError("down")

    monkeypatch.setattr(run_sections, "cache", Unreachable())
    html, _queries = page(client_for(esg_user), scored_run)
    assert "Topics ranked" in html
