"""Helpers for the tests that pin how many queries a bulk write takes."""

from __future__ import annotations

import math
from typing import Any

from django.db import connection
from django.db.models import AutoField


def bulk_inserts(model: Any, count: int, batch: int) -> int:
    """INSERT statements for `count` objects created in bulk: the database limits how
    many rows one statement takes (SQLite: 999 parameters), PostgreSQL does not."""
    fields = [f for f in model._meta.concrete_fields if not isinstance(f, AutoField)]
    limit = connection.ops.bulk_batch_size(fields, [None] * count) or count
    return math.ceil(count / min(batch, limit))
