"""Where a server's CPU goes, from a py-spy ``raw`` profile, in the groups of issue 14.

Run: python benchmarks/profile_groups.py PROFILE.txt [...]
(``benchmarks/endpoint_cpu.py --profile DIR`` records one per target and workload.)

A py-spy raw file holds one collapsed stack a line (``root;...;leaf COUNT``), each frame
``function (file)``. A sample belongs to the group of the frame nearest its leaf that
some group owns; standard-library helpers (json, re, base64, hmac...) own nothing, so
their time goes to whoever called them, and asyncio's own frames count as the
server's only when no one else's are above them. The RSA decrypt is native code called from
``decrypt_request``: a sample whose leaf is that frame is the RSA operation itself.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

GROUPS = (
    "RSA decrypt",
    "other crypto (AES-GCM, HMAC, Base64)",
    "uvicorn / asyncio",
    "framework (routing, Request, middleware)",
    "logging",
    "metrics",
    "Redis client",
    "spool (SQLite)",
    "endpoint code",
    "other",
)
_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^()]*)\)$")
# (group, file fragments): the first frame from the leaf matching one owns the sample
_OWNERS = (
    ("logging", ("logging/__init__.py", "reference_server/_logging.py")),
    ("metrics", ("prometheus_client/", "reference_server/_metrics.py")),
    ("Redis client", ("redis/", "fakeredis/", "reference_server/_redis.py")),
    ("spool (SQLite)", ("sqlite3/", "reference_server/_spool.py")),
    ("other crypto (AES-GCM, HMAC, Base64)", ("harness/crypto/",)),
    ("endpoint code", ("reference_server/", "harness/", "bare_endpoint.py")),
    ("framework (routing, Request, middleware)", ("starlette/", "fastapi/", "anyio/", "pydantic")),
    ("uvicorn / asyncio", ("uvicorn/", "uvloop/", "httptools/", "h11/")),
)
# asyncio owns only what no one else claims: its stream reads under redis-py are Redis's
_EVENT_LOOP = ("asyncio/", "uvloop/")


def frames(stack: str) -> list[tuple[str, str]]:
    found = []
    for frame in stack.split(";"):
        match = _FRAME.match(frame)
        found.append((match["function"], match["file"]) if match else (frame, ""))
    return found


def group_of(stack: str) -> str:
    path = frames(stack)
    function, file = path[-1]
    if function == "decrypt_request" and file.endswith("harness/crypto/_envelope.py"):
        return "RSA decrypt"
    for _, file in reversed(path):
        for group, fragments in _OWNERS:
            if any(fragment in file for fragment in fragments):
                return group
    if any(fragment in file for _, file in path for fragment in _EVENT_LOOP):
        return "uvicorn / asyncio"
    return "other"


def grouped(profile: Path) -> Counter[str]:
    """Samples per group of one py-spy raw profile."""
    counts: Counter[str] = Counter()
    for line in profile.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            counts[group_of(stack)] += int(count)
    return counts


def table(profiles: dict[str, Path]) -> str:
    """Each group's share of the samples, one column per profile."""
    counts = {name: grouped(path) for name, path in profiles.items()}
    width = max(len(g) for g in GROUPS) + 2
    lines = [f"{'group':<{width}}" + "".join(f"{name:>16}" for name in counts)]
    for group in GROUPS:
        cells = []
        for found in counts.values():
            total = sum(found.values()) or 1
            cells.append(f"{100 * found[group] / total:>15.1f}%")
        if any(found[group] for found in counts.values()):
            lines.append(f"{group:<{width}}" + "".join(cells))
    totals = "".join(f"{sum(found.values()):>16}" for found in counts.values())
    lines.append(f"{'samples':<{width}}" + totals)
    return "\n".join(lines)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    print(table({Path(arg).stem: Path(arg) for arg in sys.argv[1:]}))
