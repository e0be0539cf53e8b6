from __future__ import annotations

from pathlib import Path

import pytest

from tests.faults.servers import collect_static, site_environment


@pytest.fixture(scope="session")
def static_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """With DEBUG off, pages name their CSS through the manifest: collected once."""
    folder = tmp_path_factory.mktemp("static")
    collect_static(site_environment("sqlite:///:memory:", folder))
    return folder
