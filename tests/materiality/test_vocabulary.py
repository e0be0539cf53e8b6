from __future__ import annotations

from collections import Counter

import pytest

from materiality.models import StakeholderGroup, Topic

pytestmark = pytest.mark.django_db


def test_the_seventeen_seed_topics_are_loaded_by_migration() -> None:
    topics = Topic.objects.all()
    assert topics.count() == 17
    assert Counter(t.dimension for t in topics) == {"G": 4, "S": 11, "E": 2}


def test_every_seed_topic_has_a_name_and_description_in_both_languages() -> None:
    for topic in Topic.objects.all():
        for language in ("zh-hans", "en"):
            assert topic.name.get(language), (topic.code, language)
            assert topic.description.get(language), (topic.code, language)


def test_seed_topics_keep_the_report_order_and_names() -> None:
    names = [t.get_name("en") for t in Topic.objects.all()]
    assert names[0] == "Corporate governance"
    assert names[5] == "Data security and privacy protection"
    assert names[-1] == "Climate change response"
    assert Topic.objects.get(code="inclusive-finance").get_name("zh-hans") == "普惠金融"


def test_seed_topics_cite_their_screening_sources() -> None:
    privacy = Topic.objects.get(code="data-security-privacy")
    refs = {(r.framework, r.reference) for r in privacy.references.all()}
    assert ("GRI", "418") in refs
    assert ("NASDAQ", "G7") in refs
    assert all(t.references.exists() for t in Topic.objects.all())


def test_the_eight_seed_stakeholder_groups_are_loaded_with_one_internal() -> None:
    groups = StakeholderGroup.objects.all()
    assert groups.count() == 8
    assert [g.code for g in groups if g.internal] == ["employees"]
    customers = groups.get(code="customers")
    assert customers.get_name("zh-hans") == "客户"
    assert customers.get_name("en") == "Customers"
    assert customers.frequency["en"] == "Several times a week"


def test_a_topic_shows_in_the_active_language(settings: object) -> None:
    from django.utils import translation

    topic = Topic.objects.get(code="risk-management")
    with translation.override("zh-hans"):
        assert str(topic) == "风险管理"
    with translation.override("en"):
        assert str(topic) == "Risk management"


def test_retiring_a_topic_keeps_it_and_its_references() -> None:
    topic = Topic.objects.get(code="green-operations")
    reference_count = topic.references.count()
    Topic.objects.filter(pk=topic.pk).update(active=False)
    assert Topic.objects.active().count() == 16
    assert Topic.objects.filter(code="green-operations").exists()
    assert topic.references.count() == reference_count


def test_codes_are_unique_and_url_safe() -> None:
    codes = list(Topic.objects.values_list("code", flat=True))
    assert len(codes) == len(set(codes))
    assert all(code == code.lower() and " " not in code for code in codes)
