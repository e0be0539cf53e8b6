"""What the synthetic replies look like: the model report's ranking as targets, each
group's level and emphases, the shares of straight-liners, speeders and "don't know",
and the comments people leave. Numbers only; the generator in
materiality.demo.synthetic draws from them."""

from __future__ import annotations

import math
from collections.abc import Mapping

# The model company's 1,151 replies spread over its eight groups (employees are the one
# internal group; the seed vocabulary's `internal` flags say so).
DEMO_REPLIES_PER_GROUP: Mapping[str, int] = {
    "employees": 420,
    "customers": 310,
    "shareholders-investors": 90,
    "suppliers-partners": 85,
    "government-regulators": 40,
    "community-public": 90,
    "media": 36,
    "peers-associations": 80,
}

# The published matrix, most material first, with the mean rating each topic should
# reach overall (both axes averaged) and how much higher the company axis is than the
# stakeholder axis: governance and technology matter more to the business, service and
# people topics more to stakeholders themselves.
REPORT_TARGETS: Mapping[str, tuple[float, float]] = {
    "product-responsibility": (4.66, 0.04),
    "risk-management": (4.60, 0.14),
    "compliance-management": (4.55, 0.12),
    "data-security-privacy": (4.49, -0.04),
    "customer-service": (4.42, -0.10),
    "fintech-innovation": (4.36, 0.16),
    "business-ethics": (4.30, 0.06),
    "talent-attraction-retention": (4.23, 0.04),
    "training-development": (4.17, -0.06),
    "employee-health-safety": (4.10, -0.10),
    "corporate-governance": (4.04, 0.12),
    "diversity-equal-opportunity": (3.97, -0.08),
    "sustainable-supply-chain": (3.90, 0.04),
    "inclusive-finance": (3.84, -0.08),
    "community-welfare": (3.77, -0.12),
    "green-operations": (3.70, 0.02),
    "climate-change": (3.63, 0.00),
}
REPORT_RANKING: tuple[str, ...] = tuple(REPORT_TARGETS)

# Per group: a general leniency, and how much more material the topics it cares about are
# to it than to respondents overall (rating points). From the report's stakeholder table.
GROUP_LEVEL: Mapping[str, float] = {
    "employees": 0.12,
    "customers": 0.0,
    "shareholders-investors": -0.05,
    "suppliers-partners": 0.05,
    "government-regulators": -0.10,
    "community-public": 0.0,
    "media": -0.12,
    "peers-associations": -0.02,
}
GROUP_EMPHASIS: Mapping[str, Mapping[str, float]] = {
    "employees": {
        "employee-health-safety": 0.40,
        "training-development": 0.40,
        "talent-attraction-retention": 0.35,
        "diversity-equal-opportunity": 0.30,
        "fintech-innovation": 0.10,
        "customer-service": -0.10,
        "inclusive-finance": -0.10,
    },
    "customers": {
        "customer-service": 0.35,
        "data-security-privacy": 0.35,
        "product-responsibility": 0.25,
        "inclusive-finance": 0.20,
        "employee-health-safety": -0.25,
        "training-development": -0.25,
        "talent-attraction-retention": -0.25,
        "corporate-governance": -0.15,
        "sustainable-supply-chain": -0.20,
    },
    "shareholders-investors": {
        "corporate-governance": 0.40,
        "risk-management": 0.30,
        "compliance-management": 0.25,
        "business-ethics": 0.15,
        "community-welfare": -0.20,
        "inclusive-finance": -0.10,
    },
    "suppliers-partners": {
        "sustainable-supply-chain": 0.50,
        "fintech-innovation": 0.30,
        "business-ethics": 0.20,
        "customer-service": -0.10,
    },
    "government-regulators": {
        "compliance-management": 0.35,
        "risk-management": 0.30,
        "data-security-privacy": 0.30,
        "inclusive-finance": 0.35,
        "fintech-innovation": -0.10,
    },
    "community-public": {
        "inclusive-finance": 0.40,
        "community-welfare": 0.45,
        "diversity-equal-opportunity": 0.25,
        "green-operations": 0.10,
        "risk-management": -0.15,
        "fintech-innovation": -0.15,
    },
    "media": {
        "inclusive-finance": 0.35,
        "community-welfare": 0.30,
        "climate-change": 0.15,
        "business-ethics": 0.15,
    },
    "peers-associations": {
        "fintech-innovation": 0.40,
        "data-security-privacy": 0.30,
        "risk-management": 0.10,
        "customer-service": -0.10,
    },
}
# Topics outside this list get a target between these bounds, fixed by their code.
UNKNOWN_TOPIC_TARGETS = (3.7, 4.3)

# The latent rating's parts, in rating points on a 1–5 scale (standard deviations).
LENIENCY_SD = 0.35  # some people rate everything higher
TOPIC_VIEW_SD = 0.35  # a respondent's view of a topic, shared by both axes
CELL_SD = 0.45
LATENT_SD = math.sqrt(LENIENCY_SD**2 + TOPIC_VIEW_SD**2 + CELL_SD**2)

STRAIGHT_LINER_SHARE = 0.025
SPEEDER_SHARE = 0.03
SPEEDER_RANDOM_SHARE = 0.5  # of a speeder's cells, clicked at random
DONT_KNOW_BASE = 0.02
DONT_KNOW_UNFAMILIAR = 0.05  # added in full where a group cares 0.3 points less
DONT_KNOW_OUTSIDER = 0.015  # external groups, about the company's business
ROW_COMMENT_SHARE = 0.06
OVERALL_COMMENT_SHARE = 0.05
SECOND_LANGUAGE_SHARE = 0.12  # overseas stakeholders answer in another enabled language

ROW_COMMENTS: Mapping[str, tuple[str, ...]] = {
    "zh-hans": (
        "希望看到更具体的数据和目标。",
        "这个议题和我的日常工作关系很大。",
        "建议与同行做个对比。",
        "对这方面了解不多，打分仅供参考。",
        "去年在这方面有明显进步。",
        "希望明年的报告多写一些案例。",
        "这一点对客户的信任很关键。",
        "请说明具体由哪个部门负责。",
    ),
    "en": (
        "I would like to see concrete figures and targets.",
        "This is close to my daily work.",
        "A comparison with peers would help.",
        "I know little about this, so take my rating lightly.",
        "Clear progress here since last year.",
        "Please add examples in next year's report.",
        "This is key to customers' trust.",
        "Who is responsible for this inside the company?",
    ),
}
OVERALL_COMMENTS: Mapping[str, tuple[str, ...]] = {
    "zh-hans": (
        "感谢邀请我们参与。",
        "问卷有点长，但问题很清楚。",
        "希望每年都做这样的调查。",
        "期待看到汇总结果。",
        "建议增加海外业务相关的议题。",
    ),
    "en": (
        "Thank you for asking us.",
        "A little long, but the questions were clear.",
        "Please run this survey every year.",
        "Looking forward to the results.",
        "Please add topics about the overseas business.",
    ),
}
