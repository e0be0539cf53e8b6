"""Loading the rule packs and the crosswalk from the data files in `packs/`.

Idempotent: a pack and its matters are matched by code and updated in place, so the
loader runs from the data migration, from `manage.py load_rule_packs`, and again after
a data file is corrected. Matters that left a data file are kept (IROs may point at
them); a new version of a standard is a new pack code (`esrs-2026`), never an edit.

It works on the models it is given: the historical ones in a migration, the current
ones elsewhere.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.apps import apps as global_apps
from django.apps.registry import Apps
from django.db import transaction

PACKS_FOLDER = Path(__file__).resolve().parent / "packs"
PACK_FILES = ("esrs-2023.json", "cn-exchanges-2024.json")
CROSSWALK_FILE = "crosswalk.json"


@dataclass(frozen=True)
class LoadSummary:
    packs: int
    matters: int
    links: int
    missing_topics: tuple[str, ...]  # seed topics the crosswalk names but the site lacks


def read_pack_file(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((PACKS_FOLDER / name).read_text(encoding="utf-8"))
    return data


@transaction.atomic
def load_rule_packs(apps: Apps | None = None) -> LoadSummary:
    registry = apps or global_apps
    RulePack = registry.get_model("double", "RulePack")
    Matter = registry.get_model("double", "Matter")
    MatterTopic = registry.get_model("double", "MatterTopic")
    Topic = registry.get_model("materiality", "Topic")

    matters: dict[tuple[str, str], Any] = {}
    for name in PACK_FILES:
        data = read_pack_file(name)
        pack, _created = RulePack.objects.update_or_create(
            code=data["code"],
            defaults={
                "framework": data["framework"],
                "version": data["version"],
                "name": data["name"],
                "source": data.get("source", {}),
            },
        )
        # Parents come before their children in the file.
        for row in data["matters"]:
            parent = matters[(pack.code, row["parent"])] if row["parent"] else None
            matter, _created = Matter.objects.update_or_create(
                pack=pack,
                code=row["code"],
                defaults={
                    "parent": parent,
                    "level": row["level"],
                    "name": row["name"],
                    "reference": row.get("reference", ""),
                    "dimension": row.get("dimension", ""),
                    "order": row["order"],
                    "company_specific": False,
                    "dma": None,
                },
            )
            matters[(pack.code, matter.code)] = matter

    topics = {topic.code: topic for topic in Topic.objects.all()}
    missing: list[str] = []
    links = 0
    for row in read_pack_file(CROSSWALK_FILE)["links"]:
        topic = topics.get(row["topic"])
        if topic is None:  # a site that renamed or never had a seed topic
            missing.append(row["topic"])
            continue
        MatterTopic.objects.update_or_create(
            topic=topic,
            matter=matters[(row["pack"], row["matter"])],
            defaults={"coverage": row["coverage"]},
        )
        links += 1
    return LoadSummary(
        packs=len(PACK_FILES),
        matters=len(matters),
        links=links,
        missing_topics=tuple(dict.fromkeys(missing)),
    )
