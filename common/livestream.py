"""Livestream batches: a host pastes or forwards viewers' questions at once.

Shared by the Telegram host mode and the web host console. A batch is split into one question
per viewer; questions that get the same answer from the assistant are grouped, so the host
reads each answer once.
"""

import asyncio
import re
import unicodedata
from dataclasses import dataclass, field

from common.personal_numbers import MOBILE_IN_TEXT, half_width_digits, mainland_mobile
from common.rasa_client import RasaClient

# "1." "2、" "(3)" "③" "- " "• " at the start of a line: list markers, not part of the question.
_LIST_MARKER = re.compile(r"^\s*(?:[(（]?\d{1,3}[)）.、:：]|[①-⑳]|[-•·*>]+)\s*")
# "张阿姨：…", "@老李 …", "[王大爷] …": who asked, as the host relays it.
_VIEWER_PREFIX = re.compile(
    r"^\s*(?:@(?P<at>[^\s:：]{1,12})[\s:：]+|[\[【](?P<bracket>[^\]】]{1,12})[\]】]\s*"
    r"|(?P<plain>[^\s:：?？。，,!！]{1,8})[:：]\s*)"
)
_NOT_NAMES = {"请问", "问", "问题", "提问", "咨询", "留言", "弹幕", "观众"}
# A mobile number, with the words that introduce it ("电话138…"): they are not the question.
_PHONE = re.compile(rf"(?:(?:电话|手机号?|联系方式|号码)[:：是]?\s*)?({MOBILE_IN_TEXT.pattern})")
_NOT_TEXT = re.compile(r"[\W_]+", re.UNICODE)
MAX_QUESTIONS = 50  # one batch; a longer paste is more likely a mistake than 50 viewers
MAX_QUESTION_CHARS = 300


@dataclass(frozen=True)
class ViewerQuestion:
    text: str  # the question itself, without list marker, viewer name or phone number
    viewer: str | None = None  # "张阿姨" when the line was "张阿姨：…"
    contact: str | None = None  # a mobile number given in the line, digits only
    line: str = ""  # the line as the host gave it


@dataclass
class QuestionGroup:
    """Questions the assistant answered alike: one answer for all of them."""

    answer: str
    questions: list[ViewerQuestion] = field(default_factory=list)
    understood: bool = True  # False: the assistant asked back instead of answering


class BatchTooLarge(ValueError):
    pass


def split_batch(text: str) -> list[ViewerQuestion]:
    """One question per non-empty line (forwarded messages arrive one per line too)."""
    questions = [q for line in text.splitlines() if (q := parse_line(line)) is not None]
    if len(questions) > MAX_QUESTIONS:
        raise BatchTooLarge(f"{len(questions)} questions; at most {MAX_QUESTIONS} per batch")
    return questions


def parse_line(line: str) -> ViewerQuestion | None:
    rest = _LIST_MARKER.sub("", line.strip(), count=1)
    viewer = None
    if match := _VIEWER_PREFIX.match(rest):
        name = match.group("at") or match.group("bracket") or match.group("plain")
        if name not in _NOT_NAMES:
            viewer, rest = name, rest[match.end() :]
    contact = None
    if phone := _PHONE.search(half_width_digits(rest)):
        contact = mainland_mobile(phone.group(1))
        rest = (rest[: phone.start()] + rest[phone.end() :]).strip(" ，,;；")
    rest = rest.strip()[:MAX_QUESTION_CHARS]
    if not normalise(rest):
        return None  # an empty line, or only punctuation or emoji
    return ViewerQuestion(text=rest, viewer=viewer, contact=contact, line=line.strip())


def normalise(text: str) -> str:
    """Full-width to half-width, lower case, no punctuation or spaces: for spotting repeats."""
    return _NOT_TEXT.sub("", unicodedata.normalize("NFKC", text).lower())


def group_by_answer(
    questions: list[ViewerQuestion], answers: list[str], understood: list[bool]
) -> list[QuestionGroup]:
    """Groups in order of first appearance. Questions the assistant did not understand are
    grouped only when their words are the same: a shared "please say again" is no answer."""
    if not len(questions) == len(answers) == len(understood):
        raise ValueError("one answer and one understood flag per question")
    groups: dict[tuple[bool, str], QuestionGroup] = {}
    for question, answer, known in zip(questions, answers, understood, strict=True):
        key = (known, normalise(answer) if known else normalise(question.text))
        group = groups.setdefault(key, QuestionGroup(answer=answer, understood=known))
        group.questions.append(question)
    return list(groups.values())


async def answer_each(
    rasa: RasaClient, sender_prefix: str, questions: list[ViewerQuestion], concurrency: int = 4
) -> tuple[list[str], list[bool]]:
    """Each question in its own conversation (`<sender_prefix>-<n>`), so one viewer's words do
    not steer another's answer; a few at once keeps a batch quick without crowding out
    residents. Returns the answers and whether each was understood, in question order."""
    limit = asyncio.Semaphore(concurrency)

    async def one(number: int, question: ViewerQuestion) -> tuple[str, bool]:
        async with limit:
            return await rasa.answer(f"{sender_prefix}-{number}", question.text)

    results = await asyncio.gather(*(one(n, q) for n, q in enumerate(questions, start=1)))
    return [text for text, _ in results], [known for _, known in results]
