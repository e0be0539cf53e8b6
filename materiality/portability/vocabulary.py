"""The topics a portable file names, carried with it: a file names topics by code, and
describes each (names, dimension, references) so that a site without one can add it.
A topic the importing site has is used as it is, never changed by a file."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from materiality.models import Topic, TopicReference
from surveys.recreating import model_values, row_fields


def topic_rows(topic_ids: Collection[int]) -> list[dict[str, Any]]:
    """The topics as rows: their own fields and their references."""
    topics = Topic.objects.filter(pk__in=topic_ids).prefetch_related("references")
    return [
        {**row_fields(t), "references": [row_fields(r) for r in t.references.all()]} for t in topics
    ]


def topics_ensure(rows: Iterable[dict[str, Any]]) -> dict[str, int]:
    """Every topic of the site by code, with those of *rows* it lacked added."""
    topics = dict(Topic.objects.values_list("code", "pk"))
    for row in rows:
        if row["code"] not in topics:
            topic = Topic.objects.create(**model_values(Topic, row))
            TopicReference.objects.bulk_create(
                TopicReference(topic=topic, **model_values(TopicReference, ref))
                for ref in row["references"]
            )
            topics[topic.code] = topic.pk
    return topics
