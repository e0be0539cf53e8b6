"""The approval's snapshot read back (`snapshot.py`) and its final conclusions
(`finals.py`): pure, no database."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from materiality.double.finals import final_matters, top_level
from materiality.double.snapshot import read_snapshot


def axis(score: str | None, material: bool, interval: list[str] | None = None) -> dict[str, Any]:
    return {"score": score, "interval": interval, "material": material}


def decision(material_final: bool, final_value: str | None = None) -> dict[str, Any]:
    return {
        "computed_value": "2.00",
        "computed_material": False,
        "final_value": final_value,
        "material_final": material_final,
        "note": "Why.",
        "recorded_at": "2026-01-02T03:04:05+00:00",
    }


def row(code: str, depth: int, impact: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "matter": code,
        "pack": 1,
        "name": {"en": code},
        "depth": depth,
        "impact": impact,
        "financial": axis(None, False),
        "material": impact["material"],
        **extra,
    }


def test_figures_come_back_as_decimals_and_bad_ones_as_none() -> None:
    snapshot = read_snapshot(
        {
            "thresholds": {"impact": "3.00", "financial": "NaN"},
            "matters": [row("A", 0, axis("3.50", True, ["3.10", "oops"]), iros={"I-1": "3.50"})],
        }
    )
    assert snapshot.impact_threshold == Decimal("3.00")
    assert snapshot.financial_threshold is None
    matter = snapshot.matters[0]
    assert matter.impact.score == Decimal("3.50")
    assert matter.impact.interval is None  # one bound unreadable: no interval
    assert matter.iro_scores == {"I-1": Decimal("3.50")}
    assert read_snapshot(None).matters == []


def test_a_decision_wins_on_its_axis_and_parents_follow_their_children() -> None:
    matters = final_matters(
        read_snapshot(
            {
                "matters": [
                    row("T", 0, axis(None, False)),
                    row(
                        "T.1",
                        1,
                        axis("2.00", False, ["1.50", "2.50"]),
                        decisions={"impact": decision(True, "3.20")},
                    ),
                    row("U", 0, axis("4.00", True), decisions={"both": decision(False)}),
                ]
            }
        ).matters
    )
    topic, child, other = matters
    assert child.impact.final
    assert child.impact.decided
    assert child.material
    assert child.impact.placed == (Decimal("3.20"), None)  # the interval was the computed one
    assert child.notes == ["Why."]
    assert child.parent is topic
    assert topic.material  # through its child
    assert topic.impact_any
    assert not topic.computed
    assert not other.material  # a decision on both perspectives replaces the conclusion
    assert other.impact.final  # while the axis keeps its own
    assert [m.code for m in top_level(matters)] == ["T", "U"]
    assert [m.code for m in topic.subtree()] == ["T", "T.1"]
