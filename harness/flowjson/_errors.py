"""The typed errors of the Flow JSON layer: each says where the problem is and what was expected."""

from __future__ import annotations


class FlowJSONError(ValueError):
    """A document cannot be read as a Flow JSON: broken JSON or a wrong structure.

    ``file``, ``line`` and ``column`` locate broken JSON; ``pointer`` (a JSON
    pointer such as ``/screens/0/layout``) locates a structural problem;
    ``expected`` says what the reader wanted to find there.
    """

    def __init__(
        self,
        expected: str,
        *,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
        pointer: str = "",
        problems: tuple[str, ...] = (),
    ) -> None:
        self.expected = expected
        self.file = file
        self.line = line
        self.column = column
        self.pointer = pointer
        self.problems = problems
        super().__init__(self._describe())

    def _describe(self) -> str:
        where = self.file or "<flow>"
        if self.line is not None:
            where += f":{self.line}:{self.column or 1}"
        if self.pointer:
            where += f" at {self.pointer}"
        text = f"{where}: {self.expected}"
        if len(self.problems) > 1:
            text += "\n" + "\n".join(f"  - {problem}" for problem in self.problems)
        return text + "\nRun `flowharness validate` on the file for every problem at once."


class FlowFileError(FlowJSONError):
    """The file cannot be read at all: missing, unreadable, or not UTF-8."""


class ExpressionError(ValueError):
    """A binding or backtick expression cannot be parsed or evaluated.

    ``position`` is the 0-based character offset into ``expression``.
    """

    def __init__(self, message: str, *, expression: str, position: int) -> None:
        self.message = message
        self.expression = expression
        self.position = position
        super().__init__(f"{message} at position {position} in {expression!r}")
