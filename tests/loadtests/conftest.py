"""The loadtests package lives at the project root, outside the installed packages."""

from __future__ import annotations

import sys
from pathlib import Path

# pytest runs with --import-mode=importlib, which leaves sys.path alone
ROOT = str(Path(__file__).resolve().parents[2])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
