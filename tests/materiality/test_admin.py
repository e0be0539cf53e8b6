"""Every admin page of the vocabulary, for every kind of user."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse

from materiality.models import StakeholderGroup, Topic
from tests.factories import (
    OpenReportFactory,
    StakeholderGroupFactory,
    TopicFactory,
    TopicReferenceFactory,
    add_reader_comment,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(admin_client: Client) -> None:
    # The site's default language is Chinese; these tests read English admin text.
    admin_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def admin_pages() -> list[str]:
    topic = Topic.objects.get(code="risk-management")
    group = StakeholderGroup.objects.get(code="customers")
    return [
        reverse("admin:index"),
        reverse("admin:materiality_topic_changelist"),
        reverse("admin:materiality_topic_add"),
        reverse("admin:materiality_topic_change", args=[topic.pk]),
        reverse("admin:materiality_topic_history", args=[topic.pk]),
        reverse("admin:materiality_stakeholdergroup_changelist"),
        reverse("admin:materiality_stakeholdergroup_add"),
        reverse("admin:materiality_stakeholdergroup_change", args=[group.pk]),
        reverse("admin:auth_user_changelist"),
        reverse("admin:auth_group_changelist"),
    ]


def test_an_administrator_can_open_every_page(admin_client: Client) -> None:
    for url in admin_pages():
        assert admin_client.get(url).status_code == 200, url


@pytest.mark.parametrize("who", ["esg_user", "decider_user", "outsider_user", None])
def test_nobody_else_can_open_any_page(request: pytest.FixtureRequest, who: str | None) -> None:
    client = Client()
    if who is not None:
        client.force_login(request.getfixturevalue(who))
    for url in admin_pages():
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("admin:login")), url


def test_the_topic_list_shows_both_languages_side_by_side(admin_client: Client) -> None:
    html = admin_client.get(reverse("admin:materiality_topic_changelist")).content.decode()
    assert "风险管理" in html
    assert "Risk management" in html
    assert "17 topics" in html


@pytest.mark.parametrize("query", ["风险", "Risk manage", "risk-management"])
def test_topics_can_be_searched_in_either_language(admin_client: Client, query: str) -> None:
    url = reverse("admin:materiality_topic_changelist")
    response = admin_client.get(url, {"q": query})
    assert response.context["cl"].result_count == 1
    assert response.context["cl"].result_list[0].code == "risk-management"


def test_topics_can_be_filtered_by_dimension(admin_client: Client) -> None:
    url = reverse("admin:materiality_topic_changelist")
    result = admin_client.get(url, {"dimension__exact": "E"}).context["cl"]
    assert sorted(t.code for t in result.result_list) == ["climate-change", "green-operations"]


def test_topics_are_listed_in_their_set_order(admin_client: Client) -> None:
    url = reverse("admin:materiality_topic_changelist")
    codes = [t.code for t in admin_client.get(url).context["cl"].result_list]
    assert codes[0] == "corporate-governance"
    assert codes[-1] == "climate-change"


def test_both_languages_are_edited_on_one_form(admin_client: Client) -> None:
    topic = Topic.objects.get(code="climate-change")
    url = reverse("admin:materiality_topic_change", args=[topic.pk])
    form_html = admin_client.get(url).content.decode()
    assert 'name="name_zh-hans"' in form_html
    assert 'name="name_en"' in form_html
    data = change_form_data(topic)
    data.update({"name_zh-hans": "气候行动", "name_en": "Climate action"})
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    topic.refresh_from_db()
    assert topic.name == {"zh-hans": "气候行动", "en": "Climate action"}


def test_the_default_language_name_is_required(admin_client: Client, settings: Any) -> None:
    topic = Topic.objects.get(code="climate-change")
    url = reverse("admin:materiality_topic_change", args=[topic.pk])
    data = change_form_data(topic)
    data.update({"name_zh-hans": "", "name_en": "Climate action"})
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "default language" in response.content.decode()
    topic.refresh_from_db()
    assert topic.name["zh-hans"] == "应对气候变化"


def test_topics_cannot_be_deleted_only_retired(admin_client: Client) -> None:
    topic = Topic.objects.get(code="climate-change")
    delete_url = reverse("admin:materiality_topic_delete", args=[topic.pk])
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403
    changelist = reverse("admin:materiality_topic_changelist")
    response = admin_client.post(
        changelist, {"action": "retire", "_selected_action": [topic.pk]}, follow=True
    )
    assert response.status_code == 200
    topic.refresh_from_db()
    assert topic.active is False


def change_form_data(topic: Topic) -> dict[str, Any]:
    references = list(topic.references.all())
    data: dict[str, Any] = {
        "dimension": topic.dimension,
        "name_zh-hans": topic.name.get("zh-hans", ""),
        "name_en": topic.name.get("en", ""),
        "description_zh-hans": topic.description.get("zh-hans", ""),
        "description_en": topic.description.get("en", ""),
        "active": "on" if topic.active else "",
        "order": topic.order,
        "references-TOTAL_FORMS": len(references),
        "references-INITIAL_FORMS": len(references),
        "references-MIN_NUM_FORMS": 0,
        "references-MAX_NUM_FORMS": 1000,
    }
    for i, ref in enumerate(references):
        data[f"references-{i}-id"] = ref.pk
        data[f"references-{i}-topic"] = topic.pk
        data[f"references-{i}-framework"] = ref.framework
        data[f"references-{i}-reference"] = ref.reference
        data[f"references-{i}-title_zh-hans"] = ""
        data[f"references-{i}-title_en"] = ""
    return data


# --- Queries: the same few whatever the number of rows ----------------------------------

# Session and user (2; an administrator needs no permission reads); the rows counted,
# with and without the filters (2); the page of rows.
CHANGELIST_QUERIES = 2 + 2 + 1
# Session and user (2); the topic, its references, the reader comments tagged with it
# (with their answers, responses, surveys and reports in one query).
TOPIC_PAGE_QUERIES = 2 + 3


@pytest.mark.parametrize("rows", [3, 10])
@pytest.mark.parametrize(
    ("factory", "changelist"),
    [
        pytest.param(TopicFactory, "admin:materiality_topic_changelist", id="topics"),
        pytest.param(
            StakeholderGroupFactory, "admin:materiality_stakeholdergroup_changelist", id="groups"
        ),
    ],
)
def test_a_changelist_takes_a_fixed_number_of_queries(
    admin_client: Client, django_assert_num_queries: Any, rows: int, factory: Any, changelist: str
) -> None:
    factory.create_batch(rows)
    total = factory._meta.model.objects.count()
    with django_assert_num_queries(CHANGELIST_QUERIES):
        result = admin_client.get(reverse(changelist)).context["cl"]
    assert len(result.result_list) == total


@pytest.mark.parametrize("rows", [3, 10])
def test_a_topics_page_takes_a_fixed_number_of_queries(
    admin_client: Client, esg_user: Any, django_assert_num_queries: Any, rows: int
) -> None:
    topic = TopicFactory()
    TopicReferenceFactory.create_batch(rows, topic=topic)
    report = OpenReportFactory()
    for i in range(rows):
        add_reader_comment(report, f"Tell us more, number {i}", topics=[topic], tagged_by=esg_user)
    url = reverse("admin:materiality_topic_change", args=[topic.pk])
    # Content types are cached for the process once read: read it now, so the count does
    # not depend on which test ran first.
    ContentType.objects.get_for_model(Topic)
    with django_assert_num_queries(TOPIC_PAGE_QUERIES):
        html = admin_client.get(url).content.decode()
    assert html.count("Tell us more, number") == rows
    assert html.count('name="references-') >= rows


def test_the_admin_in_chinese_says_xiugai_for_change(admin_client: Client) -> None:
    # Django's own word for the link, not the evidence pack's column ("变化").
    admin_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    html = admin_client.get(reverse("admin:index")).content.decode()
    assert "修改" in html
    assert "变化" not in html
