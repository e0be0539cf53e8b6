"""The demo's DMA (closed to its results step) reaches its outputs once the decision
group approves it: its flagged matters noted, submitted, approved through the services."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from materiality.double.decisions import (
    DecisionInput,
    decision_record,
    decisions_in_force,
    missing_notes,
)
from materiality.double.models import DmaStatus, DoubleAssessment
from materiality.double.results import dma_results
from materiality.double.review import dma_approve, dma_submit_for_review

pytestmark = pytest.mark.django_db


def test_the_demo_dma_reaches_its_outputs(decider_user: Any) -> None:
    call_command("demo")
    dma = DoubleAssessment.objects.get(name__en="2021 double materiality assessment (demo)")
    assert dma.status == DmaStatus.RESULTS
    esg = get_user_model().objects.get(username="esg")
    for row in missing_notes(dma_results(dma), decisions_in_force(dma)):
        decision_record(
            dma=dma, data=DecisionInput(matter=row.matter, note="Judged as computed."), actor=esg
        )
    dma_submit_for_review(dma=dma, actor=esg)
    dma_approve(dma=dma, actor=decider_user)
    client = Client(headers={"accept-language": "en"})
    client.force_login(esg)
    page = client.get(reverse("double:outputs", args=[dma.pk]))
    assert page.status_code == 200
    assert page.text.count('name="outcome-') == 21
    xlsx = client.get(reverse("double:outputs-file", args=[dma.pk, "esrs", "xlsx"]))
    assert xlsx.status_code in (200, 409)  # 409 only while climate change is unexplained
