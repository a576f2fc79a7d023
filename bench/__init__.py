"""Benchmarks and the loopback load test (``python -m bench``, ``python -m bench.load``).

``bench.server`` runs gunicorn with the production settings on a free port; ``bench.client``
offers small HTTP sessions (web form login with CSRF, JWT API) that time every request.
Results are written to ``docs/performance.md``.
"""
