"""The livestream host's console: answer a pasted batch of viewers' questions, read the
answers out, and file the questions that need a social worker as need reports."""

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, PlainTextResponse
from pydantic import ValidationError

from api.auth.service import Principal
from api.console.host import AssistantUnavailable, answer_batch, read_out_text, sender_id
from api.console.web import Worker, refused, render
from api.deps import SessionDep, SettingsDep
from api.errors import DomainError
from api.need_reports.schemas import MAX_FOLLOW_UP_ANSWER_CHARS, LivestreamFollowUp
from api.need_reports.service import file_livestream_follow_ups
from common.livestream import (
    MAX_QUESTION_CHARS,
    BatchTooLarge,
    ViewerQuestion,
    group_by_answer,
    split_batch,
)

router = APIRouter()


@router.get("/host", response_class=HTMLResponse)
def host_page(request: Request, worker: Worker) -> HTMLResponse:
    return render(request, "host.html", worker, batch="", title="")


@router.post("/host/answer", response_class=HTMLResponse)
async def host_answer(
    request: Request,
    settings: SettingsDep,
    worker: Worker,
    batch: Annotated[str, Form(max_length=20_000)],
    title: Annotated[str, Form(max_length=100)] = "",
) -> HTMLResponse:
    try:
        questions = split_batch(batch)
    except BatchTooLarge:
        return render(
            request, "host.html", worker, 422, batch=batch, title=title,
            error="一次最多50个问题，请分批粘贴。",
        )  # fmt: skip
    if not questions:
        return render(
            request, "host.html", worker, 422, batch=batch, title=title,
            error="没有找到问题：请每行粘贴一位观众的提问。",
        )  # fmt: skip
    session_id = secrets.token_hex(4)
    try:
        texts, understood = await answer_batch(
            settings.rasa_url, settings.rasa_timeout_s, session_id, questions,
            front_key=settings.rasa_key.get_secret_value(),
        )  # fmt: skip
    except AssistantUnavailable:
        return render(
            request, "host.html", worker, 503, batch=batch, title=title,
            error="智能助手暂时连接不上，请稍后再试，或联系技术人员。",
        )  # fmt: skip
    answers = list(zip(texts, understood, strict=True))
    return host_results(request, worker, session_id, title, questions, answers)


def host_results(
    request: Request,
    worker: Principal,
    session_id: str,
    title: str,
    questions: list[ViewerQuestion],
    answers: list[tuple[str, bool]],
    flagged: frozenset[int] = frozenset(),
    created: list[str] | None = None,
) -> HTMLResponse:
    groups = group_by_answer(questions, [a for a, _ in answers], [u for _, u in answers])
    index = {id(question): n for n, question in enumerate(questions)}
    return render(
        request,
        "host_results.html",
        worker,
        session_id=session_id,
        title=title,
        questions=questions,
        answers=answers,
        groups=[(group, [(index[id(q)], q) for q in group.questions]) for group in groups],
        flagged=flagged,
        created=created or [],
        read_out=read_out_text(title, groups),
    )


@router.post("/host/follow-up", response_class=HTMLResponse)
def host_follow_up(
    request: Request,
    session: SessionDep,
    worker: Worker,
    session_id: Annotated[str, Form(pattern=r"^[0-9a-f]{8}$")],
    text: Annotated[list[str], Form()],
    viewer: Annotated[list[str], Form()],
    contact: Annotated[list[str], Form()],
    answer: Annotated[list[str], Form()],
    understood: Annotated[list[str], Form()],
    title: Annotated[str, Form(max_length=100)] = "",
    follow_up: Annotated[list[int] | None, Form()] = None,
    reported: Annotated[list[int] | None, Form()] = None,
) -> HTMLResponse:
    """Files a need report for every question the host flagged, then shows the batch again
    with the report numbers. The batch travels in the form: no session is kept server-side."""
    if not len(text) == len(viewer) == len(contact) == len(answer) == len(understood):
        return render(
            request, "message.html", worker, 422, message="提交的内容不完整，请重新答疑。"
        )
    questions = [
        ViewerQuestion(text=t[:MAX_QUESTION_CHARS], viewer=v or None, contact=c.strip() or None)
        for t, v, c in zip(text, viewer, contact, strict=True)
    ]
    answers = [(a, u == "1") for a, u in zip(answer, understood, strict=True)]
    already = frozenset(reported or [])
    flagged = frozenset(n for n in follow_up or [] if 0 <= n < len(questions)) - already
    try:
        items = [
            LivestreamFollowUp(
                sender_id=sender_id(session_id, n + 1),
                question=questions[n].text,
                # An answer longer than a report quotes is cut, not refused.
                answer=answers[n][0][:MAX_FOLLOW_UP_ANSWER_CHARS],
                viewer=questions[n].viewer,
                contact=questions[n].contact,
                session_title=title or f"直播答疑 {session_id}",
            )
            for n in sorted(flagged)
        ]
        reports = file_livestream_follow_ups(session, items=items)
    except (DomainError, ValidationError) as error:
        session.rollback()
        return refused(request, worker, 409, error)
    return host_results(
        request, worker, session_id, title, questions, answers, flagged | already,
        [report.number for report in reports],
    )  # fmt: skip


@router.post("/host/export")
def host_export(
    text: Annotated[list[str], Form()],
    viewer: Annotated[list[str], Form()],
    answer: Annotated[list[str], Form()],
    understood: Annotated[list[str], Form()],
    worker: Worker,
    title: Annotated[str, Form(max_length=100)] = "",
) -> PlainTextResponse:
    """The read-out text as a file the host can keep or print."""
    questions = [
        ViewerQuestion(text=t, viewer=v or None) for t, v in zip(text, viewer, strict=False)
    ]
    groups = group_by_answer(
        questions, answer[: len(questions)], [u == "1" for u in understood[: len(questions)]]
    )
    return PlainTextResponse(
        read_out_text(title, groups),
        headers={"Content-Disposition": 'attachment; filename="livestream-answers.txt"'},
    )
