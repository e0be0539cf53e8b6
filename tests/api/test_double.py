"""The double materiality API: DMAs, their register, matters, ratings and results."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from materiality.double.methodology import dma_start_rating
from materiality.double.models import (
    DmaAction,
    DmaFrameworks,
    DmaStatus,
    DoubleAssessment,
    Horizon,
    Iro,
    IroKind,
    IroSource,
    Matter,
    Rater,
    RaterRole,
    Rating,
    ValueChainStage,
)
from materiality.double.register import IroInput, iro_create
from materiality.double.results import dma_results
from materiality.double.setup import DmaInput, dma_create
from tests.api.test_runs import ROLES, as_role, check_statuses

pytestmark = pytest.mark.django_db

IMPACT_RATING = {
    "scale": 4,
    "scope": 3,
    "irremediability": 2,
    "likelihood": 3,
    "rationale": "Two incidents at peers last year.",
}
RISK_RATING = {"magnitude": 4, "likelihood": 2, "amount": "2500000", "rationale": "Carbon price."}


@pytest.fixture(autouse=True)
def _english(client: Client) -> None:
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def matter(code: str, pack: str = "esrs-2023") -> Matter:
    return Matter.objects.get(pack__code=pack, code=code)


@pytest.fixture
def dma(esg_user: Any) -> DoubleAssessment:
    return dma_create(
        data=DmaInput(
            name={"en": "DMA 2025", "zh-hans": "2025年双重重要性评估"},
            period_start=date(2025, 1, 1),
            period_end=date(2025, 12, 31),
            frameworks=DmaFrameworks.BOTH,
            magnitude_bands=["0", "1000000", "5000000", "20000000", "100000000"],
        ),
        actor=esg_user,
    )


@pytest.fixture
def impact(dma: DoubleAssessment, esg_user: Any) -> Iro:
    """A negative potential human-rights impact on customers' privacy."""
    data = IroInput(
        matter=matter("S4.1.1"),
        kind=IroKind.IMPACT,
        title={"en": "Leak of customer data", "zh-hans": "客户数据泄露"},
        source=IroSource.RISK_REGISTER,
        polarity="negative",
        actuality="potential",
        human_rights=True,
        value_chain=[ValueChainStage.OWN_OPERATIONS],
        involvement="caused",
        horizons=[Horizon.SHORT, Horizon.MEDIUM],
        stakeholders=["Customers", "nature"],
    )
    return iro_create(dma=dma, data=data, actor=esg_user)


@pytest.fixture
def risk(dma: DoubleAssessment, esg_user: Any) -> Iro:
    data = IroInput(
        matter=matter("E1.2"),
        kind=IroKind.RISK,
        title={"en": "Carbon price on data centres"},
        source=IroSource.REGULATION,
        value_chain=[ValueChainStage.UPSTREAM],
        horizons=[Horizon.LONG],
        financial_effect={"en": "Higher electricity costs"},
    )
    return iro_create(dma=dma, data=data, actor=esg_user)


@pytest.fixture
def rating_dma(dma: DoubleAssessment, impact: Iro, risk: Iro, esg_user: Any) -> DoubleAssessment:
    """The DMA in its rating step, the ESG team member on its panel."""
    Rater.objects.create(dma=dma, user=esg_user, name="Wang", role=RaterRole.FINANCE_RISK)
    return dma_start_rating(dma=dma, actor=esg_user)


def new_iro(**changes: Any) -> dict[str, Any]:
    body = {
        "matter": matter("E1.2").pk,
        "kind": "opportunity",
        "title": {"en": "Green bonds", "zh-hans": "绿色债券"},
        "value_chain": ["own_operations"],
        "horizons": ["medium"],
        "financial_effect": {"en": "Cheaper capital"},
        "source": "expert",
    }
    return body | changes


def fields_of(response: Any) -> set[str]:
    return {error["field"] for error in response.json()["errors"]}


# --- Who may call what --------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_dmas_their_register_matters_ratings_and_results_are_read_by_role_members(
    role: str, request: pytest.FixtureRequest, rating_dma: DoubleAssessment, impact: Iro
) -> None:
    base = f"/api/dmas/{rating_dma.pk}"
    calls: list[tuple[Any, ...]] = [
        ("get", "/api/dmas/", {}),
        ("get", f"{base}/", {}),
        ("get", f"{base}/iros/", {}),
        ("get", f"{base}/iros/{impact.pk}/", {}),
        ("get", f"{base}/matters/", {}),
        ("get", f"{base}/ratings/", {}),
        ("get", f"{base}/results/", {}),
    ]
    check_statuses(as_role(role, request), role, calls)


@pytest.mark.parametrize("role", ROLES)
def test_the_register_is_written_by_the_esg_team(
    role: str, request: pytest.FixtureRequest, dma: DoubleAssessment, impact: Iro
) -> None:
    writers = {"esg": 201, "admin": 201, "decider": 403}
    changers = {"decider": 403}
    calls = [
        ("post", f"/api/dmas/{dma.pk}/iros/", writers, new_iro()),
        ("patch", f"/api/dmas/{dma.pk}/iros/{impact.pk}/", changers, {"horizons": ["long"]}),
    ]
    check_statuses(as_role(role, request), role, calls)


@pytest.mark.parametrize("role", ROLES)
def test_anyone_on_the_panel_rates_whatever_their_role(
    role: str, request: pytest.FixtureRequest, rating_dma: DoubleAssessment, risk: Iro
) -> None:
    Rater.objects.filter(dma=rating_dma).update(user=None)  # nobody signs in as a rater
    client = as_role(role, request)
    url = f"/api/dmas/{rating_dma.pk}/iros/{risk.pk}/ratings/"
    check_statuses(client, role, [("post", url, dict.fromkeys(ROLES, 403), RISK_RATING)])
    if role == "anonymous":
        return
    fixture = {"outsider": "outsider_user", "esg": "esg_user", "decider": "decider_user"}
    user = request.getfixturevalue(fixture.get(role, "admin_user"))
    Rater.objects.update_or_create(
        dma=rating_dma, user=user, defaults={"name": role, "role": RaterRole.INTERNAL_EXPERT}
    )
    # On the panel, even a signed-in user with no role rates (the rating pages agree).
    assert client.post(url, RISK_RATING, "application/json").status_code == 201


# --- The register -------------------------------------------------------------------------


def test_the_register_names_every_attribute_and_its_matter(
    client: Client, esg_user: Any, impact: Iro
) -> None:
    client.force_login(esg_user)
    body = client.get(f"/api/dmas/{impact.dma_id}/iros/").json()
    row = body["results"][0]
    assert row["reference"] == "IRO-001"
    assert row["matter"]["code"] == "S4.1.1"
    assert row["matter"]["pack"] == "esrs-2023"
    assert row["kind_display"] == "Impact"
    assert row["polarity_display"] == "Negative"
    assert row["value_chain"] == [{"code": "own_operations", "name": "Own operations"}]
    assert row["horizons"][1] == {"code": "medium", "name": "Medium term"}
    assert row["stakeholders"][1] == {"code": "nature", "name": "Nature"}
    assert row["source_display"] == "Risk register"
    assert row["blockers"] == []


def test_a_new_iro_is_stored_numbered_and_in_the_trail(
    client: Client, esg_user: Any, dma: DoubleAssessment, impact: Iro
) -> None:
    client.force_login(esg_user)
    response = client.post(f"/api/dmas/{dma.pk}/iros/", new_iro(), "application/json")
    assert response.status_code == 201, response.content
    assert response.json()["reference"] == "IRO-002"
    iro = dma.iros.get(reference="IRO-002")
    assert iro.title == {"en": "Green bonds", "zh-hans": "绿色债券"}
    assert dma.events.filter(action=DmaAction.IRO_CREATED, details={"iro": "IRO-002"}).exists()


def test_every_mistake_in_an_iro_is_named_by_its_field(
    client: Client, esg_user: Any, dma: DoubleAssessment
) -> None:
    client.force_login(esg_user)
    url = f"/api/dmas/{dma.pk}/iros/"
    # A risk that is "negative", without a financial effect it is fine to omit here.
    response = client.post(url, new_iro(polarity="negative"), "application/json")
    assert response.status_code == 400
    assert fields_of(response) == {"kind"}
    response = client.post(
        url, new_iro(kind="impact", financial_effect={}, horizons=["later"]), "application/json"
    )
    assert response.status_code == 400
    assert fields_of(response) == {"horizons.0"}
    response = client.post(url, new_iro(kind="impact", financial_effect={}), "application/json")
    assert fields_of(response) == {"polarity", "actuality"}
    assert "negative or positive" in response.json()["errors"][0]["message"]
    other_pack = Matter.objects.exclude(pk__in=dma.packs.values("matters")).first()
    if other_pack is not None:
        response = client.post(url, new_iro(matter=other_pack.pk), "application/json")
        assert fields_of(response) == {"matter"}
    assert not dma.iros.exists()


def test_a_taken_reference_is_refused_on_the_reference(
    client: Client, esg_user: Any, dma: DoubleAssessment, impact: Iro
) -> None:
    client.force_login(esg_user)
    response = client.post(
        f"/api/dmas/{dma.pk}/iros/", new_iro(reference="IRO-001"), "application/json"
    )
    assert response.status_code == 400
    assert fields_of(response) == {"reference"}


def test_a_patch_changes_what_it_names_and_keeps_the_rest(
    client: Client, esg_user: Any, impact: Iro
) -> None:
    client.force_login(esg_user)
    url = f"/api/dmas/{impact.dma_id}/iros/{impact.pk}/"
    response = client.patch(url, {"horizons": ["long", "short"]}, "application/json")
    assert response.status_code == 200, response.content
    impact.refresh_from_db()
    assert impact.horizons == ["short", "long"]
    assert impact.title["en"] == "Leak of customer data"
    assert impact.dma.events.filter(action=DmaAction.IRO_UPDATED).exists()
    response = client.patch(url, {"financial_effect": {"en": "Fines"}}, "application/json")
    assert fields_of(response) == {"financial_effect"}


def test_the_register_of_an_approved_assessment_is_frozen(
    client: Client, esg_user: Any, impact: Iro
) -> None:
    DoubleAssessment.objects.filter(pk=impact.dma_id).update(status=DmaStatus.APPROVED)
    client.force_login(esg_user)
    url = f"/api/dmas/{impact.dma_id}/iros/"
    assert client.post(url, new_iro(), "application/json").status_code == 409
    response = client.patch(f"{url}{impact.pk}/", {"horizons": ["long"]}, "application/json")
    assert response.status_code == 409
    assert response.json()["code"] == "register_frozen"


# --- Matters ------------------------------------------------------------------------------


def test_the_matters_are_a_tree_with_their_seed_topics(
    client: Client, esg_user: Any, dma: DoubleAssessment
) -> None:
    client.force_login(esg_user)
    body = client.get(f"/api/dmas/{dma.pk}/matters/?limit=500").json()
    by_code = {(m["pack"]["code"], m["code"]): m for m in body["results"]}
    privacy = by_code[("esrs-2023", "S4.1.1")]
    parent = matter("S4.1.1").parent
    assert parent is not None
    assert privacy["parent_code"] == parent.code
    assert privacy["level"] == 3
    linked = [m for m in body["results"] if m["topics"]]
    assert linked, "the crosswalk names seed topics"
    assert {"code", "name", "coverage", "coverage_display"} <= set(linked[0]["topics"][0])
    assert body["count"] == Matter.objects.filter(pack__in=dma.packs.all()).count()


# --- Ratings ------------------------------------------------------------------------------


def test_a_rater_rates_and_a_change_of_mind_keeps_the_history(
    client: Client, esg_user: Any, rating_dma: DoubleAssessment, impact: Iro
) -> None:
    client.force_login(esg_user)
    url = f"/api/dmas/{rating_dma.pk}/iros/{impact.pk}/ratings/"
    first = client.post(url, IMPACT_RATING, "application/json")
    assert first.status_code == 201, first.content
    again = client.post(url, IMPACT_RATING | {"scale": 5}, "application/json")
    assert again.status_code == 201
    in_force = client.get(f"/api/dmas/{rating_dma.pk}/ratings/").json()["results"]
    assert [(r["iro"]["reference"], r["rater"]["name"], r["scale"]) for r in in_force] == [
        ("IRO-001", "Wang", 5)
    ]
    assert in_force[0]["methodology_version"] == 1
    assert Rating.objects.filter(iro=impact).count() == 2


def test_every_broken_rating_rule_is_named_by_its_field(
    client: Client, esg_user: Any, rating_dma: DoubleAssessment, impact: Iro, risk: Iro
) -> None:
    client.force_login(esg_user)
    base = f"/api/dmas/{rating_dma.pk}/iros"
    # A potential negative impact needs irremediability and likelihood, not a magnitude.
    response = client.post(
        f"{base}/{impact.pk}/ratings/",
        {"scale": 3, "scope": 3, "magnitude": 2, "rationale": " "},
        "application/json",
    )
    assert response.status_code == 400
    assert fields_of(response) == {"magnitude", "irremediability", "likelihood", "rationale"}
    response = client.post(
        f"{base}/{risk.pk}/ratings/", {"scale": 9, "rationale": "x"}, "application/json"
    )
    assert fields_of(response) == {"scale"}
    assert not Rating.objects.exists()


def test_ratings_wait_for_the_rating_step(
    client: Client, esg_user: Any, dma: DoubleAssessment, risk: Iro
) -> None:
    Rater.objects.create(dma=dma, user=esg_user, name="Wang", role=RaterRole.FINANCE_RISK)
    client.force_login(esg_user)
    response = client.post(
        f"/api/dmas/{dma.pk}/iros/{risk.pk}/ratings/", RISK_RATING, "application/json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "rating_closed"


def test_a_stakeholder_representative_is_not_assigned_risks(
    client: Client, decider_user: Any, rating_dma: DoubleAssessment, risk: Iro
) -> None:
    Rater.objects.create(dma=rating_dma, user=decider_user, name="Li", role=RaterRole.STAKEHOLDER)
    client.force_login(decider_user)
    url = f"/api/dmas/{rating_dma.pk}/iros/{risk.pk}/ratings/"
    assert client.post(url, RISK_RATING, "application/json").status_code == 404


# --- Results ------------------------------------------------------------------------------


def test_the_results_are_those_of_the_results_page(
    client: Client, esg_user: Any, rating_dma: DoubleAssessment, impact: Iro, risk: Iro
) -> None:
    client.force_login(esg_user)
    base = f"/api/dmas/{rating_dma.pk}/iros"
    assert client.post(f"{base}/{impact.pk}/ratings/", IMPACT_RATING, "application/json")
    assert client.post(f"{base}/{risk.pk}/ratings/", RISK_RATING, "application/json")
    body = client.get(f"/api/dmas/{rating_dma.pk}/results/").json()
    expected = dma_results(rating_dma)
    assert body["methodology_version"] == 1
    assert body["impact_threshold"] == str(expected.impact_threshold)
    got = {row["code"]: row for row in body["matters"]}
    assert list(got) == [row.matter.code for row in expected.matters]
    for row in expected.matters:
        answer = got[row.matter.code]
        assert answer["impact"]["score"] == (
            None if row.impact.score is None else str(row.impact.score)
        )
        assert answer["financial"]["material"] == row.financial.material
        assert answer["material"] == row.material
        assert [i["explanation"] for i in answer["iros"]] == [i.explanation for i in row.iros]
    privacy = got["S4.1.1"]["iros"][0]
    assert privacy["score"] is not None
    assert privacy["explanation"]
    assert "fewer than 3 raters" in privacy["flags"]


def test_results_before_rating_say_why_they_are_empty(
    client: Client, decider_user: Any, dma: DoubleAssessment, impact: Iro
) -> None:
    client.force_login(decider_user)
    body = client.get(f"/api/dmas/{dma.pk}/results/").json()
    assert body["matters"] == []
    assert body["problems"] == ["Rating has not started: no methodology is frozen yet."]


# --- Query counts -------------------------------------------------------------------------


@pytest.mark.parametrize("extra", [0, 3])
def test_each_list_takes_a_fixed_number_of_queries(
    extra: int,
    client: Client,
    esg_user: Any,
    rating_dma: DoubleAssessment,
) -> None:
    for number in range(extra):
        dma_create(
            data=DmaInput(
                name={"en": f"Other {number}"},
                period_start=date(2024, 1, 1),
                period_end=date(2024, 12, 31),
                frameworks=DmaFrameworks.ESRS,
            ),
            actor=esg_user,
        )
    client.force_login(esg_user)
    base = f"/api/dmas/{rating_dma.pk}"
    for _number in range(extra + 1):
        iro = client.post(f"{base}/iros/", new_iro(), "application/json").json()["id"]
        client.post(f"{base}/iros/{iro}/ratings/", RISK_RATING, "application/json")
    # Session, user and permissions (4), the DMA (but in the DMA list), the count, the
    # page, and what each page prefetches (packs and versions; matters' topics).
    expected = {
        "/api/dmas/": 8,
        f"{base}/iros/": 7,
        f"{base}/matters/?limit=500": 8,
        f"{base}/ratings/": 7,
    }
    done = {}
    for url in expected:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        done[url] = len(queries)
    assert done == expected


def test_a_wrong_code_is_answered_with_the_codes_not_echoed(
    client: Client, esg_user: Any, dma: DoubleAssessment
) -> None:
    client.force_login(esg_user)
    # Half a surrogate pair is not text: the whole body is refused before any field.
    body = new_iro(kind="\ud800", stakeholders=["Suppliers\ud800"])
    refused = client.post(f"/api/dmas/{dma.pk}/iros/", body, "application/json")
    assert refused.status_code == 400
    assert refused.json()["code"] == "parse_error"
    response = client.post(
        f"/api/dmas/{dma.pk}/iros/", new_iro(kind="<script>"), "application/json"
    )
    assert response.status_code == 400
    assert "<script>" not in response.content.decode()
    assert response.json()["errors"] == [
        {
            "field": "kind",
            "code": "invalid_choice",
            "message": "Choose one of: impact, risk, opportunity.",
        }
    ]
