"""The flowharness pytest plugin (registered under ``pytest11``).

Kept small and lazy: nothing heavy is imported until a fixture is used.
"""

from __future__ import annotations
