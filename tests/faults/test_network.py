"""The fault tests' networks: two suites side by side never take the same subnet."""

from __future__ import annotations

import shutil

import pytest

from tests.faults.network import _claim_subnet

pytestmark = pytest.mark.skipif(shutil.which("ip") is None, reason="needs ip (iproute2)")


def test_subnets_claimed_at_once_are_all_different_until_released() -> None:
    # Sixty claims held together, as sixty suites starting in the same second would
    # hold them: drawn at random from 224 subnets, some would meet without the locks
    # (all sixty would differ by chance once in about 6,000 tries).
    claims = [_claim_subnet() for _ in range(60)]
    try:
        assert len({subnet for subnet, _claim in claims}) == 60
    finally:
        for _subnet, claim in claims:
            claim.close()
    # Released, a subnet can be claimed again.
    subnet, claim = _claim_subnet()
    claim.close()
    assert 16 <= subnet < 240
