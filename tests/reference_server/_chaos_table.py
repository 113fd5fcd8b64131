"""The chaos table: one row per fault of ``test_chaos``, printed at the end of the run."""

from __future__ import annotations

from dataclasses import dataclass

COLUMNS = ("fault", "submitted", "answered 200", "in the CRM", "parked", "dead",
           "duplicates", "answer p99 (s)", "notes")  # fmt: skip
TITLE = "chaos table (answer p99: CONFIRM answers during the fault, client side, seconds)"


@dataclass
class ChaosRow:
    fault: str
    submitted: int
    answered: int
    in_crm: int
    parked: int
    dead: int
    duplicates: int
    p99: float
    notes: str = ""

    def cells(self) -> list[str]:
        return [self.fault, str(self.submitted), str(self.answered), str(self.in_crm),
                str(self.parked), str(self.dead), str(self.duplicates), f"{self.p99:.3f}",
                self.notes]  # fmt: skip


ROWS: list[ChaosRow] = []
"""Filled by the chaos tests as they run."""


def render(rows: list[ChaosRow]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(row.cells()) + " |" for row in rows]
    return "\n".join(lines)
