"""The outputs page and its files: who may see and write, the page before approval,
the refusals as the download's answer (409, what is missing, where to write it), the
files themselves (the XLSX opens with a sheet per output, the PDF embeds its fonts),
both languages, and the page's query count."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse

from materiality.double.models import DmaAction, DmaApproval, DoubleAssessment, Matter
from tests.double.outputs_setup import approve_dma

pytestmark = pytest.mark.django_db


def client_of(user: Any, language: str = "en") -> Client:
    client = Client(headers={"accept-language": language})
    if user is not None:
        client.force_login(user)
    return client


def page_url(dma: DoubleAssessment) -> str:
    return reverse("double:outputs", args=[dma.pk])


def file_url(dma: DoubleAssessment, document: str, fmt: str, lang: str = "en") -> str:
    return reverse("double:outputs-file", args=[dma.pk, document, fmt]) + f"?lang={lang}"


@pytest.fixture
def approval(dma: DoubleAssessment, esg_user: Any, decider_user: Any) -> DmaApproval:
    return approve_dma(dma, esg_user, decider_user)


@pytest.fixture
def climate_off(dma: DoubleAssessment, esg_user: Any, decider_user: Any) -> DmaApproval:
    return approve_dma(dma, esg_user, decider_user, climate_off=True)


def fill_topics(client: Client, dma: DoubleAssessment) -> None:
    topics = Matter.objects.filter(pack__code="cn-exchanges-2024", level=1)
    # Every topic posted as "not material": those the results prefill differently need a
    # reason, which they get.
    data = {f"outcome-{t.pk}": "not_material" for t in topics}
    data |= {f"reason-{t.pk}": "Reviewed" for t in topics}
    assert client.post(reverse("double:outputs-topics", args=[dma.pk]), data).status_code == 302


def test_access(
    dma: DoubleAssessment, approval: DmaApproval, outsider_user: Any, decider_user: Any
) -> None:
    url = page_url(dma)
    assert client_of(None).get(url).status_code == 302
    assert client_of(outsider_user).get(url).status_code == 403
    assert client_of(decider_user).get(url).status_code == 200
    assert client_of(decider_user).get(file_url(dma, "esrs", "xlsx")).status_code == 200
    # the decision group reads; only the ESG team writes
    text = reverse("double:outputs-text", args=[dma.pk, "e1"])
    assert client_of(decider_user).post(text, {"text_en": "x"}).status_code == 403
    assert client_of(outsider_user).get(file_url(dma, "esrs", "pdf")).status_code == 403


def test_before_approval_the_page_says_so(dma: DoubleAssessment, esg_user: Any) -> None:
    page = client_of(esg_user).get(page_url(dma))
    assert page.status_code == 200
    assert "No outputs yet" in page.text
    assert reverse("double:results", args=[dma.pk]) in page.text
    refused = client_of(esg_user).get(file_url(dma, "esrs", "pdf"))
    assert refused.status_code == 409
    assert "once the results are approved" in refused.text


def test_unknown_document_or_format_is_404(
    dma: DoubleAssessment, approval: DmaApproval, esg_user: Any
) -> None:
    assert client_of(esg_user).get(file_url(dma, "gri", "pdf")).status_code == 404
    assert client_of(esg_user).get(file_url(dma, "esrs", "docx")).status_code == 404
    wrong = reverse("double:outputs-text", args=[dma.pk, "nothing"])
    assert client_of(esg_user).post(wrong, {}).status_code == 404


def test_the_approved_page_in_both_languages(
    dma: DoubleAssessment, approval: DmaApproval, esg_user: Any
) -> None:
    page = client_of(esg_user).get(page_url(dma))
    assert page.status_code == 200
    assert "A result for each of the 21 topics" in page.text
    assert page.text.count('name="outcome-') == 21
    assert reverse("double:matrix", args=[dma.pk, "svg"]) in page.text
    assert "cn-exchanges" not in page.text
    assert "S4.1.1" not in page.text
    zh = client_of(esg_user, "zh-hans").get(page_url(dma))
    assert zh.status_code == 200
    assert "应对气候变化" in zh.text
    assert 'lang="zh-hans"' in zh.text
    detail = client_of(esg_user).get(reverse("double:dma", args=[dma.pk]))
    assert page_url(dma) in detail.text


def test_the_esrs_files(dma: DoubleAssessment, approval: DmaApproval, esg_user: Any) -> None:
    client = client_of(esg_user)
    xlsx = client.get(file_url(dma, "esrs", "xlsx"))
    assert xlsx.status_code == 200
    assert "attachment" in xlsx["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames == ["Results", "SBM-3", "IRO-1", "IRO-2"]
    register = list(book["SBM-3"].values)
    assert [row[0] for row in register[1:]] == ["IRO-001", "IRO-002"]
    assert len(list(book["IRO-1"].values)) == 1 + 8
    pdf = client.get(file_url(dma, "esrs", "pdf", "zh-hans"))
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    assert b"FontFile2" in pdf.content  # TrueType fonts embedded
    assert b"/Subtype /Image" in pdf.content  # the matrix, as PNG
    assert b"NotoSansSC" in pdf.content or b"Noto" in pdf.content
    html = client.get(file_url(dma, "esrs", "html", "zh-hans"))
    assert html.status_code == 200
    assert "客户数据泄露" in html.text
    assert f"{reverse('double:matrix', args=[dma.pk, 'svg'])}?lang=zh-hans" in html.text


def test_climate_not_material_is_refused_until_explained(
    dma: DoubleAssessment, climate_off: DmaApproval, esg_user: Any
) -> None:
    client = client_of(esg_user)
    refused = client.get(file_url(dma, "esrs", "xlsx"))
    assert refused.status_code == 409
    assert "Climate change (E1) is not material" in refused.text
    assert f"{page_url(dma)}#e1-title" in refused.text
    page = client.get(page_url(dma))
    assert "Refused until this is done" in page.text
    assert 'id="e1-title"' in page.text
    saved = client.post(
        reverse("double:outputs-text", args=[dma.pk, "e1"]),
        {"text_zh-hans": "公司没有自有数据中心。", "text_en": "No data centres of our own."},
    )
    assert saved.status_code == 302
    assert client.get(file_url(dma, "esrs", "xlsx")).status_code == 200
    assert dma.events.filter(action=DmaAction.DISCLOSURE_SAVED).count() == 1


def test_the_exchange_files_wait_for_every_topic(
    dma: DoubleAssessment, approval: DmaApproval, esg_user: Any
) -> None:
    client = client_of(esg_user)
    refused = client.get(file_url(dma, "exchanges", "pdf"))
    assert refused.status_code == 409
    assert "18 topics have no result" in refused.text
    # not applicable without a reason: refused, with the message on the page
    rural = Matter.objects.get(pack__code="cn-exchanges-2024", code="rural-revitalisation")
    answer = client.post(
        reverse("double:outputs-topics", args=[dma.pk]),
        {f"outcome-{rural.pk}": "not_applicable", f"reason-{rural.pk}": ""},
        follow=True,
    )
    assert "say why it is not applicable" in answer.text
    fill_topics(client, dma)
    xlsx = client.get(file_url(dma, "exchanges", "xlsx"))
    assert xlsx.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames == ["Topics", "Article 5", "Four parts"]
    assert len(list(book["Topics"].values)) == 1 + 21
    pdf = client.get(file_url(dma, "exchanges", "pdf", "zh-hans"))
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    zh = client.get(file_url(dma, "exchanges", "html", "zh-hans"))
    assert zh.status_code == 200
    assert "应对气候变化" in zh.text


def test_checklist_notes_from_the_page(
    dma: DoubleAssessment, approval: DmaApproval, esg_user: Any
) -> None:
    climate = Matter.objects.get(pack__code="cn-exchanges-2024", code="climate-change")
    url = reverse("double:outputs-checklist", args=[dma.pk, climate.pk])
    answer = client_of(esg_user).post(url, {"note-governance": "Board risk committee"})
    assert answer.status_code == 302
    page = client_of(esg_user).get(page_url(dma))
    assert "Board risk committee" in page.text
    # a topic of another framework: a message, not an error
    other = Matter.objects.get(pack__code="esrs-2023", code="E1")
    url = reverse("double:outputs-checklist", args=[dma.pk, other.pk])
    answer = client_of(esg_user).post(url, {"note-governance": "x"}, follow=True)
    assert answer.status_code == 200
    assert "exchange guidelines" in answer.text


def test_the_page_reads_in_a_fixed_number_of_queries(
    dma: DoubleAssessment,
    approval: DmaApproval,
    esg_user: Any,
    django_assert_num_queries: Any,
) -> None:
    """Session, user, permissions (2), then the DMA, its approval, register, methodology
    versions, raters, trail, texts, topic results, exchange pack, packs, matters,
    crosswalk, and the forms' texts: none per IRO, matter or topic."""
    client = client_of(esg_user)
    with django_assert_num_queries(17):
        assert client.get(page_url(dma)).status_code == 200
