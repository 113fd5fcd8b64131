"""Locust load tests for Flows endpoints, and the latency budget they enforce.

A leaf: nothing in ``harness``, ``mocks`` or ``reference_server`` imports it (the
``flowharness`` command names ``loadtests.cli`` only as the module of its ``load``
group). Only ``users``, ``walking``, ``hooks``, ``ramp`` and the locustfiles import
locust (which monkey-patches the standard library with gevent at import); ``cli``,
``launch``, ``judging``, ``progress``, ``budget``, ``verdict``, ``people`` and
``exchange`` stay free of it, so commands, tests and CI scripts can use them directly:
locust itself always runs in a child process.
"""
