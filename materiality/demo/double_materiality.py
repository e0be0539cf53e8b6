"""The demo's double materiality assessment: the model fintech group's 2021 DMA on both
frameworks, a long list of twelve IROs, four raters (one per role, `esg` among them so
its rating pages open when signed in as `esg`), every rating given with a rationale.

Everything goes through the double-materiality services, so the demo obeys the same
rules as the pages (ESRS 1 §§45–46: no likelihood on an actual impact, no
irremediability on a positive one; stakeholder representatives rate no financial
criteria). Raters disagree on a few IROs so that results carry flags to decide on.
Idempotent: found by its English name, created once, left alone afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.contrib.auth import get_user_model
from django.db import transaction

from materiality.demo.fintech_iros import IMPACT, IROS, DemoIro
from materiality.double.company_matters import dma_matters
from materiality.double.models import (
    DmaFrameworks,
    DoubleAssessment,
    Rater,
    RaterRole,
)
from materiality.double.raters_service import rater_add
from materiality.double.ratings import rating_add
from materiality.double.register import IroInput, iro_create
from materiality.double.review import dma_close_rating
from materiality.double.setup import DmaInput, dma_context_save, dma_create, dma_rating_open
from materiality.models import Assessment

DMA_NAME = {
    "zh-hans": "2021 年度双重重要性评估（演示）",
    "en": "2021 double materiality assessment (demo)",
}
CONTEXT = {
    "zh-hans": (
        "集团是总部位于上海的金融科技集团，为个人和小微企业提供线上信贷撮合、支付与财富"
        "管理技术服务，并在墨西哥、尼日利亚和印度尼西亚开展业务。2021 年末有全职员工 706 "
        "人。业务依赖大量客户数据、第三方云服务和持牌金融机构合作伙伴。"
    ),
    "en": (
        "The group is a Shanghai-based fintech group offering online credit matching, "
        "payments and wealth-management technology to individuals and small businesses, "
        "also in Mexico, Nigeria and Indonesia; 706 full-time staff at the end of 2021. "
        "The business relies on large volumes of customer data, third-party cloud services "
        "and licensed financial-institution partners."
    ),
}
# Lower bounds of financial magnitude 1-5, in CNY.
MAGNITUDE_BANDS = ("0", "1000000", "5000000", "20000000", "50000000")


@dataclass(frozen=True)
class DemoRater:
    key: str
    role: str
    username: str = ""
    name: str = ""


RATERS = (
    DemoRater("esg", RaterRole.INTERNAL_EXPERT, username="esg"),
    DemoRater("finance", RaterRole.FINANCE_RISK, name="王磊 Wang Lei"),
    DemoRater("customers", RaterRole.STAKEHOLDER, name="陈静 Chen Jing"),
    DemoRater("expert", RaterRole.EXTERNAL_EXPERT, name="Dr. Maria Lopez"),
)


def _find() -> DoubleAssessment | None:
    return DoubleAssessment.objects.filter(name__en=DMA_NAME["en"]).first()


def _rationale(iro: DemoIro, rater: str) -> str:
    own = iro.dissent.get(rater)
    return own or f"{iro.why['zh-hans']} / {iro.why['en']}"


@transaction.atomic
def demo_dma_ensure(survey: Assessment | None) -> DoubleAssessment:
    """The DMA, rated by every rater; created once, found afterwards."""
    found = _find()
    if found is not None:
        return found
    esg = get_user_model().objects.filter(username="esg").first()
    dma = dma_create(
        data=DmaInput(
            name=DMA_NAME,
            period_start=date(2021, 1, 1),
            period_end=date(2021, 12, 31),
            frameworks=DmaFrameworks.BOTH,
            survey_assessment=survey,
            magnitude_bands=MAGNITUDE_BANDS,
        ),
        actor=esg,
    )
    dma_context_save(dma=dma, context=CONTEXT, actor=esg, advance=True)
    matters = {m.code: m for m in dma_matters(dma).filter(code__in={i.matter for i in IROS})}
    iros = [
        iro_create(
            dma=dma,
            data=IroInput(
                matter=matters[item.matter],
                kind=item.kind,
                title=item.title,
                description=item.description,
                source=item.source,
                polarity=item.polarity,
                actuality=item.actuality,
                human_rights=item.human_rights,
                value_chain=item.value_chain,
                involvement=item.involvement,
                horizons=item.horizons,
                stakeholders=item.stakeholders,
                financial_effect=item.financial_effect,
            ),
            actor=esg,
        )
        for item in IROS
    ]
    raters: dict[str, Rater] = {
        r.key: rater_add(dma=dma, role=r.role, username=r.username, name=r.name, actor=esg)
        for r in RATERS
        if not r.username or esg is not None
    }
    dma_rating_open(dma=dma, actor=esg)
    for iro, item in zip(iros, IROS, strict=True):
        for key, levels in item.ratings.items():
            if key not in raters:
                continue
            if item.kind == IMPACT:
                scale, scope, irremediability, likelihood = levels
                values = {"scale": scale, "scope": scope, "irremediability": irremediability}
            else:
                values = {"magnitude": levels[0]}
                likelihood = levels[1]
            rating_add(
                iro=iro,
                rater=raters[key],
                rationale=_rationale(item, key),
                likelihood=likelihood,
                actor=esg,
                **values,
            )
    # Rating is complete: the results wait for the ESG team to submit them for review.
    dma_close_rating(dma=dma, actor=esg)
    return dma
