"""No action waits in the browser: a run's task makes what its pages read (sensitivity,
overall matrix files), and confirming answers at once while the files are frozen in the
background."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse

from materiality.models import AggregationRun, ReviewStatus
from materiality.reporting import breakdowns, matrix_files
from materiality.reporting.breakdowns import run_sensitivity, sensitivity
from materiality.reporting.matrix_files import CONTENT_TYPES, MatrixView, standard_files
from materiality.runs.derived import run_precompute
from materiality.tasks import aggregate, vocabulary_size
from tests.factories import AggregationRunFactory

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def results_url(run: AggregationRun) -> str:
    return reverse("materiality:results", args=[run.assessment_id]) + f"?run={run.pk}"


def matrix_url(run: AggregationRun, fmt: str) -> str:
    return reverse("materiality:run-matrix", args=[run.assessment_id, run.pk, fmt])


class Calls:
    """Counts the calls of a module's function while passing them through."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, module: object, name: str) -> None:
        self.count = 0
        real: Callable[..., Any] = getattr(module, name)

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, counted)


def computed(run: AggregationRun) -> AggregationRun:
    """*run* after its task's work in a worker (the factory computes runs without the
    task; in process, eager, the task stores the sensitivity but renders no files)."""
    assert aggregate.delay(run.pk).get() == "succeeded"
    run_precompute(run.pk)
    return AggregationRun.objects.select_related("assessment__survey").get(pk=run.pk)


def test_in_process_the_runs_task_stores_the_sensitivity_but_renders_no_files(
    scored_run: AggregationRun,
) -> None:
    assert aggregate.delay(scored_run.pk).get() == "succeeded"
    run = AggregationRun.objects.get(pk=scored_run.pk)
    assert run.sensitivity is not None
    assert not default_storage.exists(MatrixView(language="en").storage_path(run, "svg"))


def test_the_runs_task_stores_the_sensitivity_the_page_computed_before(
    scored_run: AggregationRun,
) -> None:
    on_request = sensitivity(scored_run)
    run = computed(scored_run)
    assert run.sensitivity is not None
    assert run_sensitivity(run) == on_request
    assert on_request[1], "a sensitivity table with rows"


def test_the_results_page_reads_the_stored_sensitivity_and_scores_nothing(
    esg_user: Any, scored_run: AggregationRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    scores = Calls(monkeypatch, breakdowns, "score")
    client = client_for(esg_user)
    before = client.get(results_url(scored_run))  # a run from before: computed on request
    assert scores.count == len(before.context["variants"]) > 0
    run = computed(scored_run)
    scores.count = 0
    after = client.get(results_url(run))
    assert scores.count == 0
    assert after.context["sensitivity"] == before.context["sensitivity"]
    assert after.context["variants"] == before.context["variants"]


def test_the_results_page_of_a_computed_run_takes_a_fixed_number_of_queries(
    esg_user: Any, scored_run: AggregationRun, django_assert_num_queries: Any
) -> None:
    run, client = computed(scored_run), client_for(esg_user)
    # As for a run from before (15), with one read of the topics instead of two reads
    # of scores to re-score.
    with django_assert_num_queries(14):
        assert client.get(results_url(run)).status_code == 200


def test_the_overall_matrix_files_are_written_with_the_run_and_served_from_storage(
    esg_user: Any, scored_run: AggregationRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = computed(scored_run)
    for language in ("en", "zh-hans"):
        for fmt in CONTENT_TYPES:
            assert default_storage.exists(MatrixView(language=language).storage_path(run, fmt))
    renders = Calls(monkeypatch, matrix_files, "render_matrix")
    client = client_for(esg_user)
    for language in ("en", "zh-hans"):
        response = client.get(matrix_url(run, "png"), {"lang": language})
        path = MatrixView(language=language).storage_path(run, "png")
        with default_storage.open(path, "rb") as stored:
            assert response.content == stored.read()
    assert renders.count == 0


def test_confirming_answers_at_once_and_the_page_shows_the_freezing_until_done(
    esg_user: Any,
    decider_user: Any,
    scored_run: AggregationRun,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    run = computed(scored_run)
    client_for(esg_user).post(reverse("materiality:run-submit", args=[run.assessment_id, run.pk]))
    decider = client_for(decider_user)
    renders = Calls(monkeypatch, matrix_files, "render_matrix")
    with django_capture_on_commit_callbacks() as sent:
        response = decider.post(
            reverse("materiality:run-confirm", args=[run.assessment_id, run.pk]),
            {"note": "Agreed"},
        )
    assert response.status_code == 302
    assert renders.count == 0, "the request renders nothing: the freezing is a task"
    assert AggregationRun.objects.get(pk=run.pk).review == ReviewStatus.CONFIRMED

    page = decider.get(results_url(run)).content.decode()
    overall = len(standard_files(run)) // 2  # written with the run: the half without whiskers
    assert "Being frozen" in page
    assert f"{overall} of {2 * overall} files written." in page
    state = decider.get(results_url(run), HTTP_ACCEPT="application/json").json()
    assert (state["freezing"], state["done"], state["total"]) == (True, overall, 2 * overall)

    for callback in sent:  # the task, as the worker would run it after commit
        callback()
    assert renders.count == overall
    assert AggregationRun.objects.get(pk=run.pk).frozen_at is not None
    assert "Being frozen" not in decider.get(results_url(run)).content.decode()
    state = decider.get(results_url(run), HTTP_ACCEPT="application/json").json()
    assert state == {"freezing": False}


def test_a_run_from_before_is_frozen_whole_by_the_task(
    esg_user: Any, decider_user: Any, scored_run: AggregationRun
) -> None:
    from materiality.runs.derived import run_freeze

    AggregationRun.objects.filter(pk=scored_run.pk).update(review=ReviewStatus.CONFIRMED)
    run_freeze(scored_run.pk)
    for view, fmt in standard_files(scored_run):
        assert default_storage.exists(view.storage_path(scored_run, fmt))
    assert AggregationRun.objects.get(pk=scored_run.pk).frozen_at is not None


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_worker_freezes_a_confirmed_run(
    celery_worker: object, esg_user: Any, decider_user: Any
) -> None:
    run: AggregationRun = AggregationRunFactory()  # type: ignore[assignment]
    client_for(esg_user).post(reverse("materiality:run-submit", args=[run.assessment_id, run.pk]))
    response = client_for(decider_user).post(
        reverse("materiality:run-confirm", args=[run.assessment_id, run.pk])
    )
    assert response.status_code == 302
    # One worker, one task at a time: once a later task is answered, the freezing is done.
    vocabulary_size.delay().get(timeout=120)
    run.refresh_from_db()
    assert run.review == ReviewStatus.CONFIRMED
    assert run.frozen_at is not None
