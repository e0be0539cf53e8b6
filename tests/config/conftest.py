from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """What the site's log handler (settings.LOGGING's "console") writes."""
    handler = next(h for h in logging.getLogger().handlers if h.name == "console")
    assert isinstance(handler, logging.StreamHandler)
    output = io.StringIO()
    before = handler.setStream(output)
    yield output
    handler.setStream(before)
