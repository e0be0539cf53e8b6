"""The long list of the demo's double materiality assessment: twelve impacts, risks and
opportunities of the model fintech group, each with how every demo rater rated it.
Data only; `double_materiality.demo_dma_ensure` enters it through the services."""

from __future__ import annotations

from dataclasses import dataclass, field

from materiality.double.models import (
    Actuality,
    Horizon,
    Involvement,
    IroKind,
    IroSource,
    Polarity,
)
from materiality.double.models import ValueChainStage as Stage

# Levels per rater: impacts (scale, scope, irremediability, likelihood), None where the
# criterion does not apply; risks and opportunities (magnitude, likelihood).
Levels = tuple[int | None, ...]


@dataclass(frozen=True)
class DemoIro:
    matter: str  # the matter's code in its pack
    kind: str
    title: dict[str, str]
    description: dict[str, str]
    source: str
    value_chain: tuple[str, ...]
    horizons: tuple[str, ...]
    ratings: dict[str, Levels]
    why: dict[str, str]  # the rationale every rater starts from, zh and en
    dissent: dict[str, str] = field(default_factory=dict)  # rater key -> their own reason
    polarity: str = ""
    actuality: str = ""
    human_rights: bool = False
    involvement: str = ""
    stakeholders: tuple[str, ...] = ()
    financial_effect: dict[str, str] = field(default_factory=dict)


def _t(zh: str, en: str) -> dict[str, str]:
    return {"zh-hans": zh, "en": en}


IMPACT = IroKind.IMPACT
NEG, POS = Polarity.NEGATIVE, Polarity.POSITIVE
ACTUAL, POTENTIAL = Actuality.ACTUAL, Actuality.POTENTIAL
SHORT, MEDIUM, LONG = Horizon.SHORT, Horizon.MEDIUM, Horizon.LONG
UP, OWN, DOWN = Stage.UPSTREAM, Stage.OWN_OPERATIONS, Stage.DOWNSTREAM

IROS = (
    DemoIro(
        "S4.1.1",
        IMPACT,
        _t("客户个人信息泄露或被滥用", "Leak or misuse of customers' personal data"),
        _t(
            "平台处理数百万借款人的身份、征信和交易数据；一旦泄露或被滥用，将侵害客户隐私权。",
            "The platform holds identity, credit and transaction data of millions of "
            "borrowers; a leak or misuse would breach their right to privacy.",
        ),
        IroSource.SURVEY,
        (OWN, DOWN),
        (SHORT, MEDIUM),
        {
            "esg": (4, 4, 3, 3),
            "finance": (4, 3, 3, 2),
            "customers": (5, 4, 4, 3),
            "expert": (4, 4, 4, 3),
        },
        _t("数据量大且敏感，泄露后难以补救。", "Large, sensitive data; a leak is hard to undo."),
        polarity=NEG,
        actuality=POTENTIAL,
        human_rights=True,
        involvement=Involvement.CAUSED,
        stakeholders=("客户 Customers",),
    ),
    DemoIro(
        "S4.3.3",
        IMPACT,
        _t(
            "借款人未获公平对待：不当营销与催收",
            "Unfair treatment of borrowers: marketing and collection",
        ),
        _t(
            "投诉显示部分合作方存在夸大宣传和不当催收，损害借款人权益。",
            "Complaints show some partners overstated offers and used improper "
            "debt-collection practices.",
        ),
        IroSource.REGULATION,
        (DOWN,),
        (SHORT,),
        {
            "esg": (3, 3, 2, None),
            "finance": (3, 2, 2, None),
            "customers": (5, 4, 3, None),
            "expert": (2, 3, 2, None),
        },
        _t("投诉量下降，但个案仍有发生。", "Complaints are falling but cases still occur."),
        dissent={
            "customers": "客户代表认为催收对个人影响严重。 / The customer representative "
            "finds collection practices harm people severely."
        },
        polarity=NEG,
        actuality=ACTUAL,
        involvement=Involvement.CONTRIBUTED,
        stakeholders=("借款人 Borrowers",),
    ),
    DemoIro(
        "S4.3.2",
        IMPACT,
        _t("普惠金融：服务传统金融覆盖不足的人群", "Inclusive finance: credit for the underserved"),
        _t(
            "为小微企业主和三四线城市居民提供可负担的信贷。",
            "Affordable credit for small-business owners and residents of smaller cities.",
        ),
        IroSource.SURVEY,
        (DOWN,),
        (SHORT, MEDIUM, LONG),
        {
            "esg": (4, 4, None, None),
            "finance": (3, 4, None, None),
            "customers": (4, 5, None, None),
            "expert": (3, 3, None, None),
        },
        _t("覆盖面广，对客户生计有实际帮助。", "Wide reach with real help to livelihoods."),
        polarity=POS,
        actuality=ACTUAL,
        involvement=Involvement.CAUSED,
        stakeholders=("小微企业 Small businesses",),
    ),
    DemoIro(
        "E1.2",
        IroKind.RISK,
        _t(
            "气候转型风险：高碳行业借款人违约上升",
            "Climate transition risk: defaults of high-carbon borrowers",
        ),
        _t(
            "碳达峰政策可能使高碳行业小微借款人还款能力下降。",
            "Carbon-peaking policy may weaken repayment by small borrowers in high-carbon sectors.",
        ),
        IroSource.RISK_REGISTER,
        (DOWN,),
        (MEDIUM, LONG),
        {"esg": (3, 3), "finance": (4, 4), "expert": (2, 2)},
        _t("敞口有限但在增长。", "Exposure is limited but growing."),
        dissent={
            "finance": "风控模型显示制造业敞口集中。 / Risk models show a concentration "
            "in manufacturing.",
            "expert": "Sector exposure is small against peers.",
        },
        financial_effect=_t(
            "信用损失上升、资金成本提高。", "Higher credit losses and funding cost."
        ),
    ),
    DemoIro(
        "climate-change",
        IroKind.OPPORTUNITY,
        _t(
            "绿色金融机会：绿色消费与节能设备贷款",
            "Green finance opportunity: loans for green purchases",
        ),
        _t(
            "新能源汽车和节能设备分期需求增长，可形成新的收入来源。",
            "Growing demand for instalments on electric vehicles and efficient equipment.",
        ),
        IroSource.PEER_REVIEW,
        (DOWN,),
        (MEDIUM, LONG),
        {"esg": (3, 4), "finance": (3, 3), "expert": (4, 4)},
        _t("同业已推出类似产品。", "Peers have launched similar products."),
        financial_effect=_t("新增贷款撮合收入。", "New loan-matching revenue."),
    ),
    DemoIro(
        "data-security-privacy",
        IroKind.RISK,
        _t("网络安全事件风险", "Cyber incident risk"),
        _t(
            "勒索软件或系统入侵导致业务中断、罚款和客户流失。",
            "Ransomware or intrusion causing outage, fines and lost customers.",
        ),
        IroSource.RISK_REGISTER,
        (OWN,),
        (SHORT, MEDIUM),
        {"esg": (4, 4), "finance": (5, 3), "expert": (4, 4)},
        _t("行业攻击频繁，监管处罚加重。", "Frequent attacks on the sector; heavier fines."),
        financial_effect=_t("罚款、赔偿及收入损失。", "Fines, compensation and lost revenue."),
    ),
    DemoIro(
        "product-service-safety-quality",
        IroKind.RISK,
        _t("消费者保护监管处罚风险", "Consumer-protection enforcement risk"),
        _t(
            "利率、信息披露和催收新规可能带来整改成本和罚款。",
            "New rules on pricing, disclosure and collection may bring remediation cost and fines.",
        ),
        IroSource.REGULATION,
        (OWN, DOWN),
        (SHORT,),
        {"esg": (4, 4), "finance": (4, 3), "expert": (3, 4)},
        _t("监管趋严。", "Supervision is tightening."),
        financial_effect=_t(
            "整改成本、罚款和业务限制。", "Remediation cost, fines, business limits."
        ),
    ),
    DemoIro(
        "S1.1.7",
        IMPACT,
        _t("员工加班与工作生活平衡", "Overtime and employees' work-life balance"),
        _t(
            "产品上线高峰期研发人员加班较多。", "Engineers work long hours around product releases."
        ),
        IroSource.SURVEY,
        (OWN,),
        (SHORT,),
        {
            "esg": (2, 2, 1, None),
            "finance": (2, 2, 1, None),
            "customers": (3, 2, 2, None),
            "expert": (2, 1, 1, None),
        },
        _t("集中在少数团队，已有调休制度。", "Limited to a few teams; time off in lieu exists."),
        polarity=NEG,
        actuality=ACTUAL,
        involvement=Involvement.CAUSED,
        stakeholders=("员工 Employees",),
    ),
    DemoIro(
        "anti-bribery-corruption",
        IMPACT,
        _t("与合作方往来中的商业贿赂", "Bribery in dealings with partners"),
        _t(
            "渠道合作和采购环节存在商业贿赂的可能。",
            "Channel partnerships and purchasing carry a bribery risk.",
        ),
        IroSource.EXPERT,
        (UP, OWN),
        (SHORT, MEDIUM),
        {
            "esg": (3, 2, 2, 1),
            "finance": (3, 2, 2, 1),
            "customers": (3, 3, 2, 2),
            "expert": (4, 2, 3, 2),
        },
        _t("内控健全，未发现案件。", "Sound controls; no cases found."),
        polarity=NEG,
        actuality=POTENTIAL,
        involvement=Involvement.CAUSED,
    ),
    DemoIro(
        "supply-chain-security",
        IroKind.RISK,
        _t("IT 供应商集中风险", "Concentration on IT vendors"),
        _t(
            "核心系统依赖少数云服务和外包开发商。",
            "Core systems rely on a few cloud and outsourcing vendors.",
        ),
        IroSource.RISK_REGISTER,
        (UP,),
        (MEDIUM,),
        {"esg": (3, 2), "finance": (3, 3), "expert": (2, 2)},
        _t("已有备用供应商和退出计划。", "Backup vendors and exit plans exist."),
        financial_effect=_t("服务中断和迁移成本。", "Outage and migration cost."),
    ),
    DemoIro(
        "E1.3",
        IMPACT,
        _t("数据中心用电带来的温室气体排放", "Emissions from data-centre electricity"),
        _t(
            "自建及租用机房的用电产生范围二排放。",
            "Own and leased server rooms cause scope 2 emissions.",
        ),
        IroSource.EXPERT,
        (UP, OWN),
        (SHORT, MEDIUM, LONG),
        {
            "esg": (2, 2, 2, None),
            "finance": (1, 2, 2, None),
            "customers": (2, 1, 2, None),
            "expert": (2, 2, 3, None),
        },
        _t("排放量相对较小。", "Small emissions in absolute terms."),
        polarity=NEG,
        actuality=ACTUAL,
        involvement=Involvement.CAUSED,
        stakeholders=("nature",),
    ),
    DemoIro(
        "rural-revitalisation",
        IMPACT,
        _t("提升农村用户的数字金融素养", "Digital financial literacy for rural users"),
        _t(
            "计划在县域开展金融知识普及活动。",
            "Planned financial-literacy events in rural counties.",
        ),
        IroSource.OTHER,
        (DOWN,),
        (MEDIUM, LONG),
        {
            "esg": (2, 3, None, 3),
            "finance": (2, 2, None, 3),
            "customers": (3, 3, None, 4),
            "expert": (2, 2, None, 2),
        },
        _t("尚在试点阶段。", "Still a pilot."),
        polarity=POS,
        actuality=POTENTIAL,
        involvement=Involvement.CAUSED,
        stakeholders=("农村居民 Rural residents",),
    ),
)
