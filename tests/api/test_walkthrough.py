"""docs/api.md's walkthrough, run as written: every ```sh block of its "Walkthrough"
section, in order, in one bash, against a live server on the test database.

The blocks use `curl` and `jq` and `python manage.py create_api_token` for the first
token; the test gives them `MATERIA` (the server's address) and a DATABASE_URL that
points at the test database, so the command and the server see the same rows. That
needs a database two processes can share: PostgreSQL (in CI, always).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from materiality.models import AggregationRun, Assessment, AuditEntry, ReviewStatus
from materiality.roles import Role
from surveys.models import Response
from tests.conftest import _database_url
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "api.md"


def walkthrough_blocks(text: str) -> list[str]:
    section = text.split("\n## Walkthrough", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_walkthrough_in_docs_api_md_runs_as_written(live_server: Any) -> None:
    UserFactory(username="esg-member", roles=[Role.ESG_TEAM])
    UserFactory(username="decider", roles=[Role.DECISION_GROUP])
    blocks = walkthrough_blocks(GUIDE.read_text())
    assert len(blocks) >= 8, "the walkthrough lost its steps"
    steps = "\n".join(f'echo "== step {n}" >&2\n{block}' for n, block in enumerate(blocks, start=1))
    env = {
        **os.environ,
        "MATERIA": live_server.url,
        "DATABASE_URL": _database_url(),
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "DEBUG": "true",
    }
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", steps],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-4000:] + result.stdout[-2000:]

    # What the steps claim to have done, seen from the database and the output.
    assessment = Assessment.objects.get()
    assert (
        Response.objects.filter(survey=assessment.survey, submitted_at__isnull=False).count() == 2
    )
    confirmed = AggregationRun.objects.get(assessment=assessment, review=ReviewStatus.CONFIRMED)
    assert confirmed.topic_scores.count() == 3
    assert "matrix.png is a PNG image" in result.stdout
    assert AuditEntry.objects.filter(assessment=assessment, action="confirmed").exists()
