"""The rule packs and the crosswalk, as the migration loads them."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from materiality.double.models import Coverage, Matter, MatterTopic, RulePack
from materiality.double.packs import load_rule_packs

pytestmark = pytest.mark.django_db

EXCHANGE_ARTICLES = {
    "应对气候变化": "Art. 21–28",
    "污染物排放": "Art. 30",
    "废弃物处理": "Art. 31",
    "生态系统和生物多样性保护": "Art. 32",
    "环境合规管理": "Art. 33",
    "能源利用": "Art. 35",
    "水资源利用": "Art. 36",
    "循环经济": "Art. 37",
    "乡村振兴": "Art. 39",
    "社会贡献": "Art. 40",
    "创新驱动": "Art. 42",
    "科技伦理": "Art. 43",
    "供应链安全": "Art. 45",
    "平等对待中小企业": "Art. 46",
    "产品和服务安全与质量": "Art. 47",
    "数据安全与客户隐私保护": "Art. 48",
    "员工": "Art. 50",
    "尽职调查": "Art. 52",
    "利益相关方沟通": "Art. 53",
    "反商业贿赂及反贪污": "Art. 55",
    "反不正当竞争": "Art. 56",
}


def test_the_exchange_pack_has_its_21_topics_with_their_articles_and_dimensions() -> None:
    topics = Matter.objects.filter(pack__code="cn-exchanges-2024").order_by("order")
    assert {m.name["zh-hans"]: m.reference for m in topics} == EXCHANGE_ARTICLES
    assert [m.dimension for m in topics] == ["E"] * 8 + ["S"] * 9 + ["G"] * 4
    assert all(m.level == 1 and m.name.get("en") for m in topics)


def test_the_esrs_pack_lists_the_ten_topical_standards_with_their_sub_topics() -> None:
    esrs = Matter.objects.filter(pack__code="esrs-2023")
    topics = esrs.filter(level=1).order_by("order")
    assert [m.code for m in topics] == ["E1", "E2", "E3", "E4", "E5", "S1", "S2", "S3", "S4", "G1"]
    assert [m.get_name("en") for m in esrs.get(code="E1").children.order_by("order")] == [
        "Climate change adaptation",
        "Climate change mitigation",
        "Energy",
    ]
    working_conditions = esrs.get(code="S1.1")
    assert working_conditions.get_name("zh-hans") == "工作条件"
    assert "Health and safety" in {m.get_name("en") for m in working_conditions.children.all()}
    assert {m.reference for m in esrs} == {"ESRS 1 AR 16"}
    # Every sub-topic sits under a topic of the same dimension, one level down.
    for child in esrs.filter(level__gt=1).select_related("parent"):
        assert child.parent is not None
        assert child.parent.level == child.level - 1
        assert child.dimension == child.parent.dimension


def test_loading_again_changes_nothing_and_the_command_says_what_it_loaded() -> None:
    before = (RulePack.objects.count(), Matter.objects.count(), MatterTopic.objects.count())
    summary = load_rule_packs()
    out = StringIO()
    call_command("load_rule_packs", stdout=out)
    after = (RulePack.objects.count(), Matter.objects.count(), MatterTopic.objects.count())
    assert before == after == (2, summary.matters, summary.links)
    assert summary.missing_topics == ()
    assert f"{summary.matters} matters" in out.getvalue()


def test_a_corrected_data_file_updates_the_matter_in_place() -> None:
    energy = Matter.objects.get(pack__code="esrs-2023", code="E1.3")
    Matter.objects.filter(pk=energy.pk).update(name={"en": "typo"})
    load_rule_packs()
    energy.refresh_from_db()
    assert energy.name == {"zh-hans": "能源", "en": "Energy"}


def test_every_seed_topic_crosswalks_to_a_matter_and_climate_fully_to_both_packs() -> None:
    from materiality.models import Topic

    linked = set(MatterTopic.objects.values_list("topic__code", flat=True))
    assert linked == set(Topic.objects.values_list("code", flat=True))
    climate = MatterTopic.objects.filter(topic__code="climate-change", coverage=Coverage.FULL)
    assert {(link.matter.pack.code, link.matter.code) for link in climate} == {
        ("esrs-2023", "E1"),
        ("cn-exchanges-2024", "climate-change"),
    }
    privacy = Matter.objects.get(pack__code="cn-exchanges-2024", code="data-security-privacy")
    assert privacy.topic_links.get().topic.code == "data-security-privacy"
    assert privacy.topic_links.get().coverage == Coverage.FULL


def test_a_missing_seed_topic_is_reported_not_fatal() -> None:
    from materiality.models import Topic

    Topic.objects.filter(code="fintech-innovation").delete()
    summary = load_rule_packs()
    assert summary.missing_topics == ("fintech-innovation",)
