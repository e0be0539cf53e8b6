"""A DMA's results through the API: what the results page shows (results.dma_results),
as data: per matter its impact and financial scores as decimal strings, interval,
materiality, flags and survey evidence; per IRO its score and how it was reached."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from materiality.api.double_serializers import DmaResultsSerializer
from materiality.double.models import DoubleAssessment, Matter, RulePack
from materiality.double.results import AxisResult, DmaResults, IroResult, dma_results

VIEW = "double.view_doubleassessment"


def _decimal(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _interval(interval: tuple[Decimal, Decimal] | None) -> list[str] | None:
    return None if interval is None else [str(interval[0]), str(interval[1])]


def _code(thing: Matter | RulePack | None) -> str | None:
    return thing.code if thing is not None else None


def _axis(axis: AxisResult) -> dict[str, Any]:
    return {
        "score": _decimal(axis.score),
        "interval": _interval(axis.interval),
        "material": axis.material,
    }


def _iro_result(result: IroResult) -> dict[str, Any]:
    iro, score = result.iro, result.score
    return {
        "id": iro.pk,
        "reference": iro.reference,
        "title": iro.title,
        "kind": iro.kind,
        "kind_display": iro.get_kind_display(),
        "score": _decimal(score.score.final) if score else None,
        "interval": _interval(score.interval) if score else None,
        "threshold": _decimal(score.threshold) if score else None,
        "material": score.material if score else None,
        "raters": score.raters if score else None,
        "flags": result.flags,
        "explanation": result.explanation,
        "problem": result.problem,
    }


def results_body(results: DmaResults) -> dict[str, Any]:
    # The matters' packs and parents, in one query (the results hold the bare rows).
    ids = [row.matter.pk for row in results.matters]
    matters = Matter.objects.select_related("pack", "parent").in_bulk(ids)
    return {
        "methodology_version": results.methodology.number if results.methodology else None,
        "impact_threshold": _decimal(results.impact_threshold),
        "financial_threshold": _decimal(results.financial_threshold),
        "survey_run": results.run.pk if results.run else None,
        "company_axis": results.company_axis,
        "stakeholder_axis": results.stakeholder_axis,
        "problems": results.problems,
        "matters": [
            {
                "id": row.matter.pk,
                "code": row.matter.code,
                "name": row.matter.name,
                "pack": _code(matters[row.matter.pk].pack),
                "parent_code": _code(matters[row.matter.pk].parent),
                "depth": row.depth,
                "impact": _axis(row.impact),
                "financial": _axis(row.financial),
                "material": row.material,
                "flags": row.flags,
                "evidence": [
                    vars(topic) | {"groups": [vars(group) for group in topic.groups]}
                    for topic in row.evidence
                ],
                "iros": [_iro_result(result) for result in row.iros],
            }
            for row in results.matters
        ],
    }


class DmaResultsView(APIView):
    action_permissions = {"get": VIEW}

    @extend_schema(
        responses=DmaResultsSerializer,
        description="The results as the ratings stand now (as the results page): per "
        "matter its impact and financial score (decimal strings), the interval, whether "
        "it is material, its flags and the survey's scores as evidence; per IRO its score "
        "and how it was reached. `problems` says what keeps it from being scored.",
    )
    def get(self, request: Request, pk: int) -> Response:
        dma = get_object_or_404(DoubleAssessment, pk=pk)
        return Response(DmaResultsSerializer(results_body(dma_results(dma))).data)
