"""Load the model company's vocabulary: 17 ESG topics and 8 stakeholder groups.

The data lives here, not in a fixture, so it always matches the schema of this point in
the migration history. Descriptions are our own short wording for respondents.
"""

from django.db import migrations

# (code, dimension, zh-hans name, English name, zh-hans description, English description,
#  [(framework, reference)])
TOPICS = [
    ("corporate-governance", "G", "企业管治", "Corporate governance",
     "董事会及管理层的结构、职责与监督机制是否健全、透明。",
     "How the board and management are structured, held accountable and overseen.",
     [("GRI", "2-9"), ("GRI", "2-10"), ("NASDAQ", "G1"), ("NASDAQ", "G2"), ("SDG", "16.6")]),
    ("compliance-management", "G", "合规管理", "Compliance management",
     "遵守法律法规和监管要求，及时识别并纠正违规行为。",
     "Meeting laws, regulations and supervisory requirements, and correcting breaches.",
     [("GRI", "2-27"), ("NASDAQ", "G9"), ("SDG", "16.3")]),
    ("risk-management", "G", "风险管理", "Risk management",
     "识别、评估和控制信用、市场、操作及新兴风险。",
     "Identifying, assessing and controlling credit, market, operational and emerging risks.",
     [("GRI", "2-12"), ("GRI", "201-2"), ("NASDAQ", "E10")]),
    ("business-ethics", "G", "商业道德与反贪腐", "Business ethics and anti-corruption",
     "诚信经营，防范贿赂、腐败、欺诈及不正当竞争。",
     "Acting with integrity; preventing bribery, corruption, fraud and unfair competition.",
     [("GRI", "205"), ("GRI", "206"), ("NASDAQ", "G6"), ("SDG", "16.5")]),
    ("sustainable-supply-chain", "S", "可持续的供应链", "Sustainable supply chain",
     "在采购与合作中考虑供应商的环境、社会及管治表现。",
     "Weighing suppliers' environmental, social and governance performance in purchasing.",
     [("GRI", "204"), ("GRI", "308"), ("GRI", "414"), ("NASDAQ", "G5"), ("SDG", "12.7")]),
    ("data-security-privacy", "S", "数据安全与隐私保护", "Data security and privacy protection",
     "保护客户与业务数据，防止泄露、滥用及网络攻击。",
     "Protecting customer and business data from leaks, misuse and cyber attacks.",
     [("GRI", "418"), ("SASB", "FN-CF-220a"), ("SASB", "FN-CF-230a"), ("NASDAQ", "G7")]),
    ("fintech-innovation", "S", "金融科技创新", "Fintech innovation",
     "以技术研发提升金融服务的效率、可及性与安全性。",
     "Using research and technology to make financial services faster, safer and easier to reach.",
     [("GRI", "203-2"), ("SDG", "9.5")]),
    ("product-responsibility", "S", "金融产品责任与安全", "Financial product responsibility and safety",
     "产品信息透明、定价公平、营销合规，保障消费者权益。",
     "Clear product information, fair pricing, responsible marketing and consumer protection.",
     [("GRI", "417"), ("SASB", "FN-CF-270a"), ("SDG", "12.8")]),
    ("customer-service", "S", "客户服务及满意", "Customer service and satisfaction",
     "高效处理客户咨询与投诉，持续提升客户满意度。",
     "Handling enquiries and complaints well and raising customer satisfaction.",
     [("GRI", "2-25"), ("STRATEGY", "customer-first")]),
    ("inclusive-finance", "S", "普惠金融", "Inclusive finance",
     "让小微企业和服务不足的人群获得可负担的金融服务。",
     "Affordable financial services for small businesses and under-served people.",
     [("GRI", "203-2"), ("SDG", "8.10"), ("SDG", "1.4"), ("SDG", "10.2")]),
    ("community-welfare", "S", "社会公益", "Community and public welfare",
     "通过公益项目、志愿服务和捐赠回馈社区。",
     "Giving back to communities through charity projects, volunteering and donations.",
     [("GRI", "413"), ("GRI", "201-1"), ("SDG", "1"), ("SDG", "4")]),
    ("employee-health-safety", "S", "员工健康与安全", "Employee health and safety",
     "保障员工身心健康与安全的工作环境。",
     "A safe workplace that looks after employees' physical and mental health.",
     [("GRI", "403"), ("NASDAQ", "S7"), ("NASDAQ", "S8"), ("SDG", "3"), ("SDG", "8.8")]),
    ("training-development", "S", "员工培训与发展", "Employee training and development",
     "提供培训和职业发展机会，帮助员工成长。",
     "Training and career paths that help employees grow.",
     [("GRI", "404"), ("SDG", "4.4")]),
    ("diversity-equal-opportunity", "S", "多元化与平等机会", "Diversity and equal opportunity",
     "在招聘、薪酬和晋升中坚持公平，反对歧视。",
     "Fair hiring, pay and promotion, and no discrimination.",
     [("GRI", "405"), ("GRI", "406"), ("NASDAQ", "S2"), ("NASDAQ", "S4"), ("NASDAQ", "S6"),
      ("SDG", "5.5"), ("SDG", "10.3")]),
    ("talent-attraction-retention", "S", "人才吸引与留任", "Talent attraction and retention",
     "以有竞争力的薪酬福利和文化吸引并留住人才。",
     "Competitive pay, benefits and culture that attract and keep talent.",
     [("GRI", "401"), ("NASDAQ", "S3"), ("SDG", "8.5")]),
    ("green-operations", "E", "绿色运营", "Green operations",
     "在办公与数据中心中节约能源、水和纸张，减少废弃物。",
     "Saving energy, water and paper in offices and data centres, and reducing waste.",
     [("GRI", "302"), ("GRI", "303"), ("GRI", "306"), ("NASDAQ", "E3"), ("NASDAQ", "E6"),
      ("NASDAQ", "E7"), ("SDG", "12.5")]),
    ("climate-change", "E", "应对气候变化", "Climate change response",
     "识别气候风险与机遇，减少温室气体排放。",
     "Understanding climate risks and opportunities, and cutting greenhouse-gas emissions.",
     [("GRI", "305"), ("GRI", "201-2"), ("NASDAQ", "E1"), ("NASDAQ", "E8"), ("NASDAQ", "E9"),
      ("SDG", "13")]),
]

# (code, internal, zh-hans name, English name, concerns zh/en, channels zh/en, frequency zh/en)
GROUPS = [
    ("government-regulators", False, "政府/监管机构", "Government and regulators",
     "合规经营、信息安全、风险管理、普惠金融",
     "Compliance, information security, risk management, inclusive finance",
     "政策研讨、政府沟通、监督检查、日常报送",
     "Policy seminars, government liaison, supervision and inspection, routine reporting",
     "每月多次", "Several times a month"),
    ("shareholders-investors", False, "股东/投资者", "Shareholders and investors",
     "经济绩效、企业管治、合规经营、风险管理、信息披露",
     "Economic performance, corporate governance, compliance, risk management, disclosure",
     "股东大会、季度业绩与年报、路演、分析师会议、邮件/电话/来访、公告",
     "AGM, quarterly results and annual report, roadshows, analyst meetings, "
     "e-mail/phone/visits, announcements",
     "每年多次", "Several times a year"),
    ("customers", False, "客户", "Customers",
     "客户服务及满意、数据安全与隐私、产品责任、普惠金融",
     "Customer service and satisfaction, data security and privacy, product responsibility, "
     "inclusive finance",
     "社交媒体、官网、邮件/电话、手机应用",
     "Social media, website, e-mail/phone, the app",
     "每周多次", "Several times a week"),
    ("suppliers-partners", False, "供应商/合作伙伴", "Suppliers and partners",
     "合作共赢、可持续供应链、技术创新",
     "Mutually beneficial cooperation, sustainable supply chain, technology innovation",
     "供应商评估、公开招标、联合开发",
     "Supplier evaluation, public tenders, joint development",
     "每月多次", "Several times a month"),
    ("community-public", False, "社区及公众", "Community and public",
     "普惠金融、社会公益、多元与包容",
     "Inclusive finance, public welfare, diversity and inclusion",
     "公益活动、员工志愿服务",
     "Charity events, employee volunteering",
     "不定期", "Irregular"),
    ("media", False, "媒体", "Media",
     "普惠金融、社会影响",
     "Inclusive finance, social impact",
     "新闻稿、采访、官网",
     "Press releases, interviews, website",
     "每年多次", "Several times a year"),
    ("peers-associations", False, "同行/行业协会", "Peers and industry associations",
     "知识产权管理、网络安全、技术创新、行业交流",
     "Intellectual property, cyber security, technology innovation, industry exchange",
     "行业会议、论坛、圆桌讨论",
     "Conferences, forums, round tables",
     "不定期", "Irregular"),
    ("employees", True, "员工", "Employees",
     "薪酬福利、健康与安全、培训与发展、多元化",
     "Pay and benefits, health and safety, training and development, diversity",
     "薪酬管理、董事长信箱、培训、员工活动",
     "Pay management, chairman's mailbox, training, employee events",
     "每年多次", "Several times a year"),
]


def load_vocabulary(apps, schema_editor):
    Topic = apps.get_model("materiality", "Topic")
    TopicReference = apps.get_model("materiality", "TopicReference")
    StakeholderGroup = apps.get_model("materiality", "StakeholderGroup")
    for order, (code, dimension, zh, en, zh_desc, en_desc, refs) in enumerate(TOPICS, start=1):
        topic, _created = Topic.objects.update_or_create(
            code=code,
            defaults={
                "dimension": dimension,
                "name": {"zh-hans": zh, "en": en},
                "description": {"zh-hans": zh_desc, "en": en_desc},
                "order": order * 10,
            },
        )
        for framework, reference in refs:
            TopicReference.objects.get_or_create(
                topic=topic, framework=framework, reference=reference
            )
    for order, row in enumerate(GROUPS, start=1):
        code, internal, zh, en, concerns_zh, concerns_en, ch_zh, ch_en, fr_zh, fr_en = row
        StakeholderGroup.objects.update_or_create(
            code=code,
            defaults={
                "internal": internal,
                "name": {"zh-hans": zh, "en": en},
                "concerns": {"zh-hans": concerns_zh, "en": concerns_en},
                "channels": {"zh-hans": ch_zh, "en": ch_en},
                "frequency": {"zh-hans": fr_zh, "en": fr_en},
                "order": order * 10,
            },
        )


def retire_vocabulary(apps, schema_editor):
    # Reversing never deletes: answers may already point at these rows. Retire instead.
    apps.get_model("materiality", "Topic").objects.filter(
        code__in=[t[0] for t in TOPICS]
    ).update(active=False)
    apps.get_model("materiality", "StakeholderGroup").objects.filter(
        code__in=[g[0] for g in GROUPS]
    ).update(active=False)


class Migration(migrations.Migration):
    dependencies = [("materiality", "0001_initial")]
    operations = [migrations.RunPython(load_vocabulary, retire_vocabulary)]
