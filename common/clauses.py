"""Where a long message asks: its last clauses.

A resident who writes at length tells the story first and asks last ("……药钱就得四五百，俺想着申请
个低保，恁看看给俺咋弄"). Read by the Rasa components that read the request apart from the story
(`bot/components/ask_clause.py`) and that take a described service for a request
(`bot/components/lexicons.py`). Standard library only."""

import re

# Shorter messages are read whole: their request is most of them.
LONGEST_READ_WHOLE = 29
# The last clauses, from the end, until they hold this many characters (or three clauses):
# "恁看看给俺咋弄" alone does not say what is asked, "俺想就现在申请，恁看看俺得咋弄" does.
CLAUSE_CHARACTERS = 12
MOST_CLAUSES = 3
CLAUSE = re.compile(r"[^，。！？；,.!?;…~\s]+")
# A closing courtesy ("谢谢", "盼复", "麻烦了") is not the request.
COURTESY = re.compile(
    r"^(谢谢|多谢|感谢|麻烦|拜托|盼复|辛苦|劳驾|有劳|唔该|thank|thx)", re.IGNORECASE
)
LONGEST_COURTESY = 8


def last_clauses(text: str) -> list[re.Match[str]]:
    """The clauses of `text` that hold its request, closing courtesies left out; none for a
    text short enough to be read whole or said in one breath."""
    if len(text) <= LONGEST_READ_WHOLE:
        return []
    clauses = list(CLAUSE.finditer(text))
    while (
        len(clauses) > 1
        and len(clauses[-1][0]) <= LONGEST_COURTESY
        and COURTESY.match(clauses[-1][0])
    ):
        clauses.pop()
    asked: list[re.Match[str]] = []
    for clause in reversed(clauses):
        asked.insert(0, clause)
        if sum(len(c[0]) for c in asked) >= CLAUSE_CHARACTERS or len(asked) == MOST_CLAUSES:
            break
    return [] if len(asked) == len(clauses) else asked


def ask_clause(text: str) -> str | None:
    """The request of a long `text` as a message of its own, or None (`last_clauses`)."""
    asked = last_clauses(text)
    return "，".join(clause[0] for clause in asked) if asked else None


def where_asked(text: str) -> int:
    """Where the request of `text` begins: its last clauses, or the start of a text read
    whole."""
    asked = last_clauses(text)
    return asked[0].start() if asked else 0
