"""Celery round trips: in-process (embedded default) and through the real broker."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from materiality.tasks import vocabulary_size


@pytest.mark.django_db
def test_tasks_run_in_process_without_a_broker() -> None:
    assert vocabulary_size.delay().get(timeout=5) == {"topics": 17, "groups": 8}


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_task_makes_the_round_trip_through_the_real_broker_and_worker(
    celery_worker: object,
) -> None:
    result = vocabulary_size.delay()
    assert result.get(timeout=30) == {"topics": 17, "groups": 8}
    assert result.successful()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_worker_reads_the_same_database_as_the_site(celery_worker: object) -> None:
    from tests.factories import TopicFactory

    TopicFactory()
    assert vocabulary_size.delay().get(timeout=30)["topics"] == 18


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_check_worker_command_reports_the_answer(
    celery_worker: object, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("check_worker", timeout=30)
    assert "Worker answered" in capsys.readouterr().out
