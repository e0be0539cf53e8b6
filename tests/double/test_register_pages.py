"""The IRO register pages, server side: readable names, filters, the IRO form with every
mistake beside its field, the not-ratable badge, and the workbook both ways."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from materiality.double.models import DmaAction, DmaStatus, DoubleAssessment, Iro
from materiality.double.register import iro_input, iro_update
from materiality.double.spreadsheet import register_xlsx
from tests.double.conftest import matter
from tests.double.test_setup_pages import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def esg(esg_user: Any) -> Client:
    return client_for(esg_user)


def test_who_may_read_and_change_the_register(
    dma: DoubleAssessment,
    impact: Iro,
    esg_user: Any,
    decider_user: Any,
    outsider_user: Any,
) -> None:
    read = [
        reverse("double:register", args=[dma.pk]),
        reverse("double:register-xlsx", args=[dma.pk]),
    ]
    change = [
        reverse("double:iro-new", args=[dma.pk]),
        reverse("double:iro-edit", args=[dma.pk, impact.pk]),
        reverse("double:register-upload", args=[dma.pk]),
    ]
    for url in read + change:
        assert client_for(esg_user).get(url).status_code == 200, url
        assert client_for(outsider_user).get(url).status_code == 403, url
        assert client_for().get(url)["Location"].startswith(reverse("login")), url
        expected = 200 if url in read else 403
        assert client_for(decider_user).get(url).status_code == expected, url
    assert "Edit IRO-001" not in client_for(decider_user).get(read[0]).content.decode()


def test_the_register_names_every_attribute_and_groups_by_matter(
    dma: DoubleAssessment, impact: Iro, risk: Iro, esg: Client, django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(12):
        page = esg.get(reverse("double:register", args=[dma.pk])).content.decode()
    for text in [
        "Privacy",
        "Climate change",
        "Negative",
        "Potential",
        "Human rights",
        "Own operations",
        "Short term, Medium term",
        "Risk register",
        "Higher electricity costs",
        "2 of 2 IROs shown.",
    ]:
        assert text in page, text
    for code in ["own_operations", "risk_register", ">negative<", ">potential<"]:
        assert code not in page, code


def test_the_register_filters_by_kind_and_matter(
    dma: DoubleAssessment, impact: Iro, risk: Iro, esg: Client
) -> None:
    url = reverse("double:register", args=[dma.pk])
    risks = esg.get(url, {"kind": "risk"}).content.decode()
    assert "Carbon price on data centres" in risks
    assert "Leak of customer data" not in risks
    privacy = esg.get(url, {"matter": matter("S4.1.1").pk}).content.decode()
    assert "Leak of customer data" in privacy
    assert "Carbon price" not in privacy
    assert esg.get(url, {"kind": "nonsense"}).status_code == 400


def test_an_iro_that_cannot_be_rated_shows_why(
    dma: DoubleAssessment, impact: Iro, esg: Client
) -> None:
    iro_update(iro=impact, data=iro_input(impact, value_chain=[]))
    page = esg.get(reverse("double:register", args=[dma.pk]), {"ratable": "no"}).content
    assert b"Not ratable yet" in page
    assert b"An IRO without a value-chain stage cannot be rated" in page


def iro_form(**changes: Any) -> dict[str, Any]:
    data = {
        "matter": matter("S4.1.1").pk,
        "kind": "impact",
        "title_zh-hans": "不当催收",
        "title_en": "Aggressive debt collection",
        "polarity": "negative",
        "actuality": "actual",
        "human_rights": "on",
        "involvement": "caused",
        "value_chain": ["own_operations", "downstream"],
        "horizons": ["short"],
        "stakeholders": "Borrowers\nFamilies of borrowers",
        "source": "media",
    }
    data.update(changes)
    return data


def test_the_team_adds_and_changes_an_iro_through_the_form(
    dma: DoubleAssessment, esg: Client, esg_user: Any
) -> None:
    response = esg.post(reverse("double:iro-new", args=[dma.pk]), iro_form())
    iro = dma.iros.get()
    assert response.status_code == 302
    assert response["Location"].endswith(f"#iro-{iro.pk}")
    assert iro.reference == "IRO-001"
    assert iro.value_chain == ["own_operations", "downstream"]
    assert iro.stakeholders == ["Borrowers", "Families of borrowers"]
    edit = reverse("double:iro-edit", args=[dma.pk, iro.pk])
    assert "Aggressive debt collection" in esg.get(edit).content.decode()
    esg.post(edit, iro_form(horizons=["short", "long"], nature="on"))
    iro.refresh_from_db()
    assert iro.horizons == ["short", "long"]
    assert iro.stakeholders[-1] == "nature"
    event = dma.events.get(action=DmaAction.IRO_UPDATED)
    assert event.details == {"iro": "IRO-001", "fields": ["horizons", "stakeholders"]}
    assert event.actor == esg_user


def test_every_mistake_in_the_iro_form_is_named_beside_its_field(
    dma: DoubleAssessment, esg: Client
) -> None:
    response = esg.post(
        reverse("double:iro-new", args=[dma.pk]),
        iro_form(
            polarity="",
            actuality="",
            reference="bad reference!",
            financial_effect_en="Fines",
        ),
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert not dma.iros.exists()
    summary = page[page.index('class="error-summary"') : page.index("</ul>")]
    for anchor, message in [
        ("id_polarity_0", "Say whether the impact is negative or positive."),
        ("id_actuality_0", "Say whether the impact is actual or potential."),
        ("id_reference", "A reference is up to 32 letters"),
    ]:
        assert f'href="#{anchor}"' in summary, anchor
        assert message in summary, message
    assert page.count('class="field has-error"') == 3
    assert 'value="Aggressive debt collection"' in page  # nothing typed is lost


def test_a_risk_form_drops_impact_choices_left_over(dma: DoubleAssessment, esg: Client) -> None:
    response = esg.post(
        reverse("double:iro-new", args=[dma.pk]),
        iro_form(kind="risk", matter=matter("E1.2").pk, financial_effect_en="Higher costs"),
    )
    assert response.status_code == 302
    iro = dma.iros.get()
    assert (iro.polarity, iro.actuality, iro.human_rights) == ("", "", False)


def test_the_register_is_frozen_in_review(dma: DoubleAssessment, impact: Iro, esg: Client) -> None:
    DoubleAssessment.objects.filter(pk=dma.pk).update(status=DmaStatus.REVIEW)
    response = esg.post(reverse("double:iro-new", args=[dma.pk]), iro_form(), follow=True)
    assert "The register cannot change while the assessment is reviewed" in response.text
    assert dma.iros.count() == 1


def test_the_download_is_in_the_page_language(
    dma: DoubleAssessment, impact: Iro, esg_user: Any
) -> None:
    url = reverse("double:register-xlsx", args=[dma.pk])
    english = client_for(esg_user).get(url)
    chinese = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    chinese.force_login(esg_user)
    for response, kind in [(english, "Impact"), (chinese.get(url), "影响")]:
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
        sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
        assert sheet.cell(row=3, column=4).value in (kind, "Impact"), kind
    assert "register-en.xlsx" in english["Content-Disposition"]


def test_an_upload_adds_iros_or_lists_each_wrong_row(
    dma: DoubleAssessment, impact: Iro, esg: Client
) -> None:
    url = reverse("double:register-upload", args=[dma.pk])
    content = register_xlsx(dma, "en")
    book = load_workbook(io.BytesIO(content))
    sheet = book.worksheets[0]
    sheet.cell(row=3, column=1).value = "IRO-002"  # a new IRO
    sheet.append(["IRO-003", "No such matter", "", "Impact", "Broken"])
    buffer = io.BytesIO()
    book.save(buffer)
    wrong = esg.post(url, {"file": SimpleUploadedFile("register.xlsx", buffer.getvalue())})
    page = wrong.content.decode()
    assert wrong.status_code == 400
    assert "Row 4" in page
    assert "“No such matter” is not a matter of this assessment." in page
    assert dma.iros.count() == 1

    sheet.delete_rows(4)
    buffer = io.BytesIO()
    book.save(buffer)
    good = esg.post(url, {"file": SimpleUploadedFile("register.xlsx", buffer.getvalue())})
    assert good.status_code == 302
    assert set(dma.iros.values_list("reference", flat=True)) == {"IRO-001", "IRO-002"}
    assert dma.events.filter(action=DmaAction.REGISTER_IMPORTED).exists()


def test_an_unreadable_upload_is_refused_beside_the_field(
    dma: DoubleAssessment, esg: Client
) -> None:
    url = reverse("double:register-upload", args=[dma.pk])
    response = esg.post(url, {"file": SimpleUploadedFile("register.xlsx", b"not a workbook")})
    assert response.status_code == 400
    assert 'class="field has-error"' in response.content.decode()
