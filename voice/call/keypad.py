"""DTMF keys → what the caller meant: 0 alone is the request for a person, * alone a
repeat, 1 alone the answer to a callback offer, and digits ended by # or a pause a phone or ID
number (* inside a number is the X of an ID number)."""

import asyncio
from collections.abc import Callable

LONE_ZERO_WAIT_S = 1.0  # a digit this soon after a lone 0 makes it the start of a number


class Keypad:
    def __init__(self, timeout_s: float, on_keys: Callable[[str], None]) -> None:
        self._timeout_s = timeout_s
        self._on_keys = on_keys
        self._keys = ""
        self._timer: asyncio.TimerHandle | None = None

    @property
    def entering(self) -> bool:
        """The caller is keying in a number (no silence counts meanwhile)."""
        return bool(self._keys)

    def press(self, key: str, *, callback_offered: bool = False) -> None:
        self.cancel()
        if key == "#":
            self._submit()
        elif key == "*" and not self._keys:
            self._on_keys("*")
        elif key == "1" and not self._keys and callback_offered:
            self._on_keys("1")
        elif key.isdigit() or key == "*":
            self._keys += "X" if key == "*" else key
            wait = LONE_ZERO_WAIT_S if self._keys == "0" else self._timeout_s
            self._timer = asyncio.get_running_loop().call_later(wait, self._submit)

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _submit(self) -> None:
        keys, self._keys = self._keys, ""
        if keys:
            self._on_keys(keys)
