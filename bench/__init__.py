"""Benchmarks: ``make bench`` (``python -m bench``). Speed goals live here, not in tests."""
