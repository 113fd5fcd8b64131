"""A :class:`~harness.walker.Chooser` whose every answer is a hypothesis draw.

Hypothesis then explores (and shrinks) journeys: fewer options, shorter texts,
earlier dates, the first way forward.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from hypothesis import strategies as st

from harness.walker import Chooser
from harness.walker._choosers import compile_pattern

T = TypeVar("T")
Draw = Callable[..., Any]


class DrawChooser(Chooser):
    """Answers with ``draw(strategy)``: a ``@composite`` draw or ``st.data()``'s ``.draw``."""

    def __init__(self, draw: Draw, *, labelled: bool = False) -> None:
        self._draw = draw
        self._labelled = labelled  # DataObject.draw takes a label; composite draws do not

    def __repr__(self) -> str:
        return "<DrawChooser>"

    def _take(self, strategy: st.SearchStrategy[T], key: str) -> T:
        if self._labelled:
            return self._draw(strategy, label=key)  # type: ignore[no-any-return]
        return self._draw(strategy)  # type: ignore[no-any-return]

    def pick(self, key: str, options: Sequence[T]) -> T:
        return self._take(st.sampled_from(list(options)), key)

    def integer(self, key: str, low: int, high: int) -> int:
        return self._take(st.integers(low, high), key)

    def boolean(self, key: str) -> bool:
        return self._take(st.booleans(), key)

    def text(self, key: str, alphabet: str, min_size: int, max_size: int) -> str:
        return self._take(st.text(alphabet=alphabet, min_size=min_size, max_size=max_size), key)

    def regex(self, key: str, pattern: str, min_size: int, max_size: int) -> str:
        compiled: re.Pattern[str] = compile_pattern(key, pattern)
        strategy = st.from_regex(compiled, fullmatch=True).filter(
            lambda value: min_size <= len(value) <= max_size
        )
        return self._take(strategy, key)


class HypothesisChooser(DrawChooser):
    """A chooser drawing each decision in a ``@given`` test body: ``HypothesisChooser(data)``."""

    def __init__(self, data: Any) -> None:
        if not hasattr(data, "draw"):
            raise TypeError("HypothesisChooser needs the object st.data() gives a test")
        super().__init__(data.draw, labelled=True)

    def __repr__(self) -> str:
        return "<HypothesisChooser>"
