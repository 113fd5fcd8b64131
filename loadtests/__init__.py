"""Locust load tests for Flows endpoints, and the latency budget they enforce.

A leaf: nothing in ``harness``, ``mocks`` or ``reference_server`` imports it. Only
``users``, ``hooks`` and the locustfiles import locust (which monkey-patches the
standard library with gevent at import); ``budget``, ``verdict``, ``people`` and
``exchange`` stay free of it so tests and CI scripts can use them directly.
"""
