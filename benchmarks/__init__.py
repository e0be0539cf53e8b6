"""Benchmarks: speed measured on real PostgreSQL, each figure beside a baseline measured in
the same run (see docs/benchmarks.md). Not tests: nothing here fails on a slow machine.

This package must stay importable without Django (the load generator imports it in a
process of its own), so nothing here touches Django at import time.
"""
