"""Cutting a long answer into the messages a chat app takes, at paragraph, line or sentence ends.
Telegram counts characters; WeChat counts UTF-8 bytes, so the measure is the caller's."""

from collections.abc import Callable

SEPARATORS = ("\n\n", "\n", "。", "！", "？", "；", "，", " ")


def utf8_bytes(text: str) -> int:
    return len(text.encode("utf-8"))


def split_message(text: str, limit: int, measure: Callable[[str], int] = len) -> list[str]:
    """Parts no longer than `limit` by `measure`, cut at the latest separator in the back half."""
    text = text.strip()
    parts: list[str] = []
    while measure(text) > limit:
        # The longest prefix that fits (measure grows with length: a binary search).
        low, high = 1, len(text)
        while low < high:
            middle = (low + high + 1) // 2
            if measure(text[:middle]) <= limit:
                low = middle
            else:
                high = middle - 1
        window = text[:low]
        cut = -1
        for separator in SEPARATORS:
            position = window.rfind(separator)
            if position >= len(window) // 2:
                cut = position + len(separator)
                break
        if cut <= 0:
            cut = len(window)  # one unbroken run of characters: cut anywhere
        parts.append(text[:cut].strip())
        text = text[cut:].strip()
    if text:
        parts.append(text)
    return parts
