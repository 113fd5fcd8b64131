"""Who decides: which option, which branch, what text. The walker asks, a Chooser answers.

Every decision goes through four primitives (``pick``, ``integer``, ``text``,
``regex``), so the same value logic serves a seeded :class:`RandomChooser`, caller
given values (:class:`FixedChooser`) and hypothesis draws (``harness.strategies``).
``key`` names the decision (``"SCREEN/field"``) for messages and fixed answers.
"""

from __future__ import annotations

import random
import re
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

import rstr

from harness.walker._exceptions import InputError, UnsatisfiableInputError

T = TypeVar("T")
NOTHING: Any = object()
"""What :meth:`Chooser.fixed` returns when the caller gave no value."""
_REGEX_ATTEMPTS = 200


class Chooser(ABC):
    """Answers the walker's questions. Subclass it to script journeys."""

    @abstractmethod
    def pick(self, key: str, options: Sequence[T]) -> T:
        """One of ``options`` (never empty)."""

    @abstractmethod
    def integer(self, key: str, low: int, high: int) -> int:
        """An integer in ``[low, high]``."""

    @abstractmethod
    def text(self, key: str, alphabet: str, min_size: int, max_size: int) -> str:
        """A string of ``alphabet`` characters, its length in ``[min_size, max_size]``."""

    @abstractmethod
    def regex(self, key: str, pattern: str, min_size: int, max_size: int) -> str:
        """A string that fully matches ``pattern`` (ASCII classes), length within bounds."""

    def boolean(self, key: str) -> bool:
        return self.pick(key, (True, False))

    def fixed(self, screen: str, name: str) -> Any:
        """The caller's value for an input (or a NavigationList item id); NOTHING if none."""
        return NOTHING


class RandomChooser(Chooser):
    """Seeded random choices: the same seed replays the same journey."""

    def __init__(self, seed: int | str | None = None, *, rng: random.Random | None = None):
        self.rng = rng if rng is not None else random.Random(seed)
        self._xeger = rstr.Rstr(self.rng)

    def __repr__(self) -> str:
        return f"<RandomChooser rng={self.rng!r}>"

    def pick(self, key: str, options: Sequence[T]) -> T:
        if not options:
            raise UnsatisfiableInputError(f"{key}: nothing to choose from")
        return options[self.rng.randrange(len(options))]

    def integer(self, key: str, low: int, high: int) -> int:
        if low > high:
            raise UnsatisfiableInputError(f"{key}: no integer between {low} and {high}")
        return self.rng.randint(low, high)

    def text(self, key: str, alphabet: str, min_size: int, max_size: int) -> str:
        size = self.integer(key, min_size, max_size)
        return "".join(self.rng.choice(alphabet) for _ in range(size))

    def regex(self, key: str, pattern: str, min_size: int, max_size: int) -> str:
        compiled = compile_pattern(key, pattern)
        for _ in range(_REGEX_ATTEMPTS):
            value = self._xeger.xeger(pattern)
            if min_size <= len(value) <= max_size and compiled.fullmatch(value):
                return value
        raise UnsatisfiableInputError(
            f"{key}: found no string matching {pattern!r} with {min_size} to {max_size} "
            "characters; check pattern, min-chars and max-chars agree"
        )


class ScriptedChooser(Chooser):
    """Replays a list of numbers: choice ``n`` takes option ``n % len(options)``.

    Zeros (and an exhausted list) mean "the first option, the shortest text", so a
    shrinking hypothesis list gives simpler journeys. Regex texts come from a
    :class:`RandomChooser` seeded by the next number.
    """

    def __init__(self, choices: Sequence[int] = ()) -> None:
        if not all(isinstance(item, int) and item >= 0 for item in choices):
            raise InputError("choices must be whole numbers >= 0")
        self.choices = tuple(choices)
        self._position = 0

    def __repr__(self) -> str:
        return f"ScriptedChooser({list(self.choices)!r})"

    def _next(self) -> int:
        position, self._position = self._position, self._position + 1
        return self.choices[position] if position < len(self.choices) else 0

    def pick(self, key: str, options: Sequence[T]) -> T:
        if not options:
            raise UnsatisfiableInputError(f"{key}: nothing to choose from")
        return options[self._next() % len(options)]

    def integer(self, key: str, low: int, high: int) -> int:
        if low > high:
            raise UnsatisfiableInputError(f"{key}: no integer between {low} and {high}")
        return low + self._next() % (high - low + 1)

    def text(self, key: str, alphabet: str, min_size: int, max_size: int) -> str:
        size = self.integer(key, min_size, max_size)
        return "".join(self.pick(key, alphabet) for _ in range(size))

    def regex(self, key: str, pattern: str, min_size: int, max_size: int) -> str:
        return RandomChooser(self._next()).regex(key, pattern, min_size, max_size)


class FixedChooser(Chooser):
    """Uses the caller's values (``{"SCREEN": {"field": value}}``); asks ``fallback`` otherwise."""

    def __repr__(self) -> str:
        return f"FixedChooser({self.inputs!r}, {self.fallback!r})"

    def __init__(self, inputs: Mapping[str, Mapping[str, Any]], fallback: Chooser | None = None):
        if not isinstance(inputs, Mapping) or not all(
            isinstance(fields, Mapping) for fields in inputs.values()
        ):
            raise InputError('inputs must look like {"SCREEN_ID": {"field": value}}')
        self.inputs = {screen: dict(fields) for screen, fields in inputs.items()}
        self.fallback = fallback if fallback is not None else RandomChooser(0)

    def fixed(self, screen: str, name: str) -> Any:
        fields = self.inputs.get(screen, {})
        if name in fields:
            return fields[name]
        return self.fallback.fixed(screen, name)

    def pick(self, key: str, options: Sequence[T]) -> T:
        return self.fallback.pick(key, options)

    def integer(self, key: str, low: int, high: int) -> int:
        return self.fallback.integer(key, low, high)

    def text(self, key: str, alphabet: str, min_size: int, max_size: int) -> str:
        return self.fallback.text(key, alphabet, min_size, max_size)

    def regex(self, key: str, pattern: str, min_size: int, max_size: int) -> str:
        return self.fallback.regex(key, pattern, min_size, max_size)

    def boolean(self, key: str) -> bool:
        return self.fallback.boolean(key)


def compile_pattern(key: str, pattern: str) -> re.Pattern[str]:
    """A TextInput ``pattern`` as a Python regex; ASCII classes, like JavaScript's ``\\d``."""
    try:
        return re.compile(pattern, re.ASCII)
    except re.error as exc:
        raise UnsatisfiableInputError(
            f"{key}: pattern {pattern!r} is not a regular expression Python understands ({exc})"
        ) from exc
