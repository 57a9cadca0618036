"""The console pages. Each page reads through the domain services, each form posts back here
and redirects (post/redirect/get), and a refused step shows the worker a Chinese message."""

import logging
import secrets
from collections import defaultdict
from datetime import datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, FastAPI, Form, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth.models import Role, StaffUser
from api.auth.service import Principal, authenticate_staff, staff_principal
from api.bookings import service as bookings
from api.bookings.models import BookingStatus
from api.bookings.schemas import BookingDispatch
from api.callbacks import service as callbacks
from api.callbacks.models import CallbackStatus
from api.callbacks.schemas import CallbackRecord
from api.cases import service as cases
from api.cases.models import CaseStatus
from api.cases.schemas import CaseTransition
from api.catalogue.service import load_services
from api.console import charts, labels
from api.console.host import AssistantUnavailable, answer_batch, read_out_text, sender_id
from api.console.queue import (
    AGE_CHOICES,
    KINDS,
    STATUS_CHOICES,
    URGENCY_CHOICES,
    QueueFilters,
    emergencies,
    work_items,
)
from api.console.timeline import chinese_summaries
from api.db import utcnow
from api.deps import SessionDep, SettingsDep
from api.errors import (
    AuthenticationError,
    ConflictError,
    DomainError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)
from api.households.service import members_timeline
from api.need_reports import service as need_reports
from api.need_reports.models import NeedReportStatus
from api.need_reports.schemas import NeedChannel, NeedReportCreate, NeedReportUpdate
from api.policies.service import load_knowledge_base
from api.providers import service as provider_rules
from api.providers.schemas import ProviderStanding, TrafficLight
from api.providers.service import list_providers, standing
from api.residents.models import Resident
from api.security import create_access_token, decode_access_token
from api.settings import ApiSettings
from common.livestream import BatchTooLarge, ViewerQuestion, group_by_answer, split_batch

log = logging.getLogger(__name__)

CONSOLE = Path(__file__).resolve().parent
COOKIE = "linli_console"
STAFF = (Role.admin, Role.social_worker)

router = APIRouter(prefix="/console", include_in_schema=False)


class LoginRequired(Exception):
    """No valid console session: the worker is sent to the login page."""


@lru_cache
def templates() -> Jinja2Templates:
    return Jinja2Templates(directory=CONSOLE / "templates")


def mount_console(app: FastAPI) -> None:
    app.include_router(router)
    app.mount("/console/static", StaticFiles(directory=CONSOLE / "static"), name="console-static")

    async def to_login(request: Request, error: Exception) -> Response:
        return RedirectResponse("/console/login", status_code=303)

    app.add_exception_handler(LoginRequired, to_login)


def console_principal(request: Request, session: SessionDep, settings: SettingsDep) -> Principal:
    token = request.cookies.get(COOKIE)
    subject = token and decode_access_token(token, settings.secret_key.get_secret_value())
    if not subject:
        raise LoginRequired()
    try:
        principal = staff_principal(session, subject)
    except AuthenticationError as error:
        raise LoginRequired() from error
    if principal.role not in STAFF:
        raise LoginRequired()
    return principal


Worker = Annotated[Principal, Depends(console_principal)]


def chinese_error(error: Exception) -> str:
    """What the worker reads; the English detail goes to the operators' log."""
    log.info("console: refused: %s", error)
    if isinstance(error, NotFoundError):
        return "找不到这条记录，可能编号有误或已被删除。"
    if isinstance(error, PermissionDeniedError):
        return "您的账号没有权限做这一步，请联系街道管理员。"
    if isinstance(error, ConflictError):
        return "这一步没有完成：记录的状态已经变化或不允许这样操作，请刷新页面后再试。"
    if isinstance(error, InvalidInputError | ValidationError):
        return "填写的内容有误，请检查后再提交。"
    return "操作没有完成，请稍后再试。"


def local_time(settings: ApiSettings, moment: datetime | None) -> str:
    if moment is None:
        return "—"
    return moment.astimezone(ZoneInfo(settings.console_timezone)).strftime("%Y-%m-%d %H:%M")


def render(
    request: Request,
    template: str,
    principal: Principal | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    settings: ApiSettings = request.app.state.settings
    return templates().TemplateResponse(
        request,
        template,
        {
            "principal": principal,
            "labels": labels,
            "label": labels.label,
            "when": lambda moment: local_time(settings, moment),
            "notice": request.query_params.get("notice", "")[:100],
            **context,
        },
        status_code=status_code,
    )


def back(path: str, notice: str) -> RedirectResponse:
    """Post/redirect/get with a short Chinese confirmation shown on the next page."""
    return RedirectResponse(f"{path}?notice={quote(notice)}", status_code=303)


# --- login ---------------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> HTMLResponse:
    return render(request, "login.html", None)


@router.post("/login", response_model=None)
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
) -> Response:
    try:
        user = authenticate_staff(session, username.strip(), password)
    except AuthenticationError:
        return render(
            request, "login.html", None, 401, error="用户名或密码不正确。", username=username
        )
    if user.role not in STAFF:
        return render(
            request,
            "login.html",
            None,
            403,
            error="工作台仅供社工和街道管理员使用；服务人员请使用接单端。",
            username=username,
        )
    token = create_access_token(
        user.username, settings.secret_key.get_secret_value(), settings.access_token_minutes
    )
    response = RedirectResponse("/console/", status_code=303)
    response.set_cookie(
        COOKIE,
        token,
        max_age=settings.access_token_minutes * 60,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/console",
    )
    return response


@router.post("/logout")
def logout() -> RedirectResponse:
    response = RedirectResponse("/console/login", status_code=303)
    response.delete_cookie(COOKIE, path="/console")
    return response


# --- case queue and case detail ------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
def queue_page(
    request: Request,
    session: SessionDep,
    worker: Worker,
    kind: Annotated[str, Query(alias="type", max_length=20)] = "",
    status: Annotated[str, Query(max_length=40)] = "open",
    age: Annotated[str, Query(max_length=10)] = "",
    urgency: Annotated[str, Query(max_length=10)] = "",
) -> HTMLResponse:
    filters = QueueFilters.parse(kind, status, age, urgency)
    items = work_items(session, utcnow())
    return render(
        request,
        "queue.html",
        worker,
        filters=filters,
        alerts=emergencies(items),
        items=[item for item in items if filters.keep(item)],
        kinds=KINDS,
        statuses=STATUS_CHOICES,
        ages=AGE_CHOICES,
        urgencies=URGENCY_CHOICES,
    )


def next_steps(status: str, role: Role) -> list[CaseStatus]:
    current = CaseStatus(status)
    return [
        to for (frm, to), roles in cases.TRANSITIONS.items() if frm == current and role in roles
    ]


def case_page(
    request: Request,
    session: Session,
    worker: Principal,
    number: str,
    status_code: int = 200,
    error: str = "",
) -> HTMLResponse:
    case = cases.get_case(session, number)
    resident = case.resident
    household = resident.household
    members: list[Resident] = list(household.members) if household else [resident]
    policy = load_knowledge_base()[0].get(case.policy_code)
    settings: ApiSettings = request.app.state.settings
    timeline = members_timeline(session, members)
    summaries = chinese_summaries(timeline, lambda moment: local_time(settings, moment))
    return render(
        request,
        "case.html",
        worker,
        status_code,
        case=case,
        policy_name=policy.name if policy else case.policy_code,
        household=household,
        timeline=list(zip(timeline, summaries, strict=True)),
        steps=next_steps(case.status, worker.role),
        waiting_for_admin=not next_steps(case.status, worker.role)
        and bool(next_steps(case.status, Role.admin)),
        error=error,
    )


@router.get("/cases/{number}", response_class=HTMLResponse)
def case_detail(request: Request, session: SessionDep, worker: Worker, number: str) -> HTMLResponse:
    try:
        return case_page(request, session, worker, number)
    except NotFoundError as error:
        return render(request, "message.html", worker, 404, message=chinese_error(error))


@router.post("/cases/{number}/transition", response_model=None)
def transition_case(
    request: Request,
    session: SessionDep,
    worker: Worker,
    number: str,
    to_status: Annotated[str, Form(max_length=32)],
    comment: Annotated[str, Form(max_length=2000)] = "",
    reason: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    try:
        data = CaseTransition(status=to_status, comment=comment, reason=reason.strip() or None)
        if data.status == CaseStatus.rejected and not data.reason:
            return case_page(
                request, session, worker, number, 422, "不予受理必须填写原因，原因会告知申请人。"
            )
        case = cases.transition(session, number, data, worker)
    except (DomainError, ValidationError) as error:
        session.rollback()
        try:
            return case_page(request, session, worker, number, 409, chinese_error(error))
        except NotFoundError:
            return render(request, "message.html", worker, 404, message=chinese_error(error))
    status_name = labels.label(labels.CASE_STATUS, case.status)
    return back(f"/console/cases/{number}", f"{number} 已改为“{status_name}”。")


# --- bookings: dispatch --------------------------------------------------------------------


def dispatch_choices(session: Session) -> dict[str, list[tuple[str, str]]]:
    """For each service code, the (value, label) of every worker who may take it: active
    workers of active providers offering the service and not on red."""
    providers = {p.id: p for p in list_providers(session) if p.is_active}
    lights = {pid: standing(session, pid).light for pid in providers}
    workers = list(
        session.scalars(
            select(StaffUser)
            .where(StaffUser.role == Role.provider_worker, StaffUser.is_active)
            .order_by(StaffUser.username)
        )
    )
    choices: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for code in load_services():
        for worker in workers:
            provider = providers.get(worker.provider_id or 0)
            if provider is None or lights[provider.id] == TrafficLight.red:
                continue
            if provider.service_codes and code not in provider.service_codes:
                continue
            light = labels.LIGHT[lights[provider.id]][0]
            choices[code].append(
                (
                    f"{provider.id}:{worker.username}",
                    f"{provider.name} · {worker.username}（{light}）",
                )
            )
    return choices


def bookings_page(
    request: Request, session: Session, worker: Principal, status_code: int = 200, error: str = ""
) -> HTMLResponse:
    waiting = bookings.list_bookings(session, status=BookingStatus.requested, limit=200)
    dispatched = bookings.list_bookings(session, status=BookingStatus.dispatched, limit=200)
    return render(
        request,
        "bookings.html",
        worker,
        status_code,
        waiting=sorted(waiting, key=lambda b: b.scheduled_at),
        dispatched=sorted(dispatched, key=lambda b: b.scheduled_at),
        services=load_services(),
        choices=dispatch_choices(session),
        error=error,
    )


@router.get("/bookings", response_class=HTMLResponse)
def bookings_list(request: Request, session: SessionDep, worker: Worker) -> HTMLResponse:
    return bookings_page(request, session, worker)


@router.post("/bookings/{number}/dispatch", response_model=None)
def dispatch_booking(
    request: Request,
    session: SessionDep,
    worker: Worker,
    number: str,
    assignee: Annotated[str, Form(max_length=100)],
) -> Response:
    provider_id, _, username = assignee.partition(":")
    try:
        data = BookingDispatch(provider_id=int(provider_id or 0), worker=username)
        booking = bookings.dispatch(session, number, data)
    except (DomainError, ValidationError, ValueError) as error:
        session.rollback()
        return bookings_page(request, session, worker, 409, chinese_error(error))
    return back("/console/bookings", f"{booking.number} 已派给 {booking.worker_username}。")


# --- callbacks due today -------------------------------------------------------------------


@router.get("/callbacks", response_class=HTMLResponse)
def callbacks_page(
    request: Request, session: SessionDep, settings: SettingsDep, worker: Worker
) -> HTMLResponse:
    zone = ZoneInfo(settings.console_timezone)
    today = utcnow().astimezone(zone).date()
    end_of_today = datetime.combine(today + timedelta(days=1), time.min, tzinfo=zone)
    start_of_today = datetime.combine(today, time.min, tzinfo=zone)
    due = [
        callback
        for callback in callbacks.list_callbacks(session, CallbackStatus.scheduled, 500)
        if callback.due_at < end_of_today
    ]
    residents = {
        r.id: r
        for r in session.scalars(
            select(Resident).where(Resident.id.in_([c.resident_id for c in due]))
        )
    }
    return render(
        request,
        "callbacks.html",
        worker,
        due=due,
        residents=residents,
        start_of_today=start_of_today,
        today=today,
    )


@router.post("/callbacks/{callback_id}", response_model=None)
def record_callback(
    request: Request,
    session: SessionDep,
    worker: Worker,
    callback_id: int,
    reached: Annotated[str, Form(max_length=5)],
    rating: Annotated[str, Form(max_length=2)] = "",
    complaint: Annotated[str, Form(max_length=5)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    try:
        data = CallbackRecord(
            reached=reached == "yes",
            rating=int(rating) if rating else None,
            is_complaint=complaint == "yes",
            note=note,
        )
        callbacks.record_callback(session, callback_id, data, worker)
    except (DomainError, ValidationError, ValueError) as error:
        session.rollback()
        return render(request, "message.html", worker, 409, message=chinese_error(error))
    return back("/console/callbacks", "回访结果已记录。")


# --- need reports --------------------------------------------------------------------------


@router.get("/needs", response_class=HTMLResponse)
def needs_page(request: Request, session: SessionDep, worker: Worker) -> HTMLResponse:
    return render(
        request,
        "needs.html",
        worker,
        reports=need_reports.follow_up_queue(session, include_done=False, limit=300),
        statuses=labels.NEED_STATUS,
    )


@router.post("/needs/{number}", response_model=None)
def update_need(
    request: Request,
    session: SessionDep,
    worker: Worker,
    number: str,
    status: Annotated[str, Form(max_length=20)],
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    try:
        data = NeedReportUpdate(
            status=NeedReportStatus(status),
            assigned_to=worker.name,
            note=f"{worker.name}：{note.strip()}" if note.strip() else None,
        )
        report = need_reports.update_report(session, number, data)
    except (DomainError, ValidationError, ValueError) as error:
        session.rollback()
        return render(request, "message.html", worker, 409, message=chinese_error(error))
    status_name = labels.label(labels.NEED_STATUS, report.status)
    return back("/console/needs", f"{report.number} 已更新为“{status_name}”。")


# --- providers' traffic lights -------------------------------------------------------------


def light_reasons(light: ProviderStanding) -> list[str]:
    """Why the provider has its light, in Chinese, by the thresholds api.providers applies."""
    days, complaints, ratings, average = (
        light.window_days,
        light.complaints,
        light.ratings,
        light.average_rating,
    )
    reasons = []
    if complaints >= provider_rules.RED_COMPLAINTS:
        reasons.append(f"近{days}天投诉{complaints}次（{provider_rules.RED_COMPLAINTS}次起为红灯）")
    elif complaints >= provider_rules.YELLOW_COMPLAINTS:
        reasons.append(
            f"近{days}天投诉{complaints}次（{provider_rules.YELLOW_COMPLAINTS}次起为黄灯）"
        )
    if average is not None:
        rated = f"近{days}天{ratings}次评分平均{average}分"
        if ratings >= provider_rules.MIN_RATINGS_FOR_RED and average < provider_rules.RED_AVERAGE:
            reasons.append(f"{rated}（低于{provider_rules.RED_AVERAGE}分为红灯）")
        elif (
            ratings >= provider_rules.MIN_RATINGS_FOR_YELLOW
            and average < provider_rules.YELLOW_AVERAGE
        ):
            reasons.append(f"{rated}（低于{provider_rules.YELLOW_AVERAGE}分为黄灯）")
    if not reasons:
        reasons.append(
            f"近{days}天投诉{complaints}次、评分{ratings}次"
            + (f"，平均{average}分" if average is not None else "")
        )
    return reasons


@router.get("/providers", response_class=HTMLResponse)
def providers_page(request: Request, session: SessionDep, worker: Worker) -> HTMLResponse:
    order = {TrafficLight.red: 0, TrafficLight.yellow: 1, TrafficLight.green: 2}
    board = [(provider, standing(session, provider.id)) for provider in list_providers(session)]
    board.sort(key=lambda row: (order[row[1].light], row[0].name))
    return render(
        request,
        "providers.html",
        worker,
        board=[(provider, light, light_reasons(light)) for provider, light in board],
        services=load_services(),
    )


# --- charts --------------------------------------------------------------------------------


@router.get("/charts", response_class=HTMLResponse)
def charts_page(request: Request, session: SessionDep, worker: Worker) -> HTMLResponse:
    mix = bookings.service_mix(session, days=90)
    mix_chart = charts.horizontal_bars(
        "service-mix",
        "近90天服务预约构成",
        [charts.Bar(s.name, s.count, f"{s.share:.0%}") for s in mix],
        "单",
    )
    weeks = 8
    weekly: dict[tuple[str, str], int] = defaultdict(int)
    for row in [*bookings.weekly_volume(session, weeks), *cases.weekly_volume(session, weeks)]:
        weekly[(row.week_start.strftime("%m-%d"), labels.label(labels.CHANNEL, row.channel))] += (
            row.count
        )
    columns = sorted({week for week, _ in weekly})
    channels = sorted({channel for _, channel in weekly})
    series = {channel: [weekly[(week, channel)] for week in columns] for channel in channels}
    volume_chart = charts.stacked_columns(
        "weekly-volume",
        "近8周受理量（按渠道，预约与申请合计）",
        [f"{c}周" for c in columns],
        series,
    )
    buckets = cases.open_cases_by_age(session)
    age_chart = charts.horizontal_bars(
        "open-by-age",
        "未办结申请的等待天数",
        [
            charts.Bar(
                f"{b.min_days}天以上" if b.max_days is None else f"{b.min_days}–{b.max_days}天",
                b.count,
            )
            for b in buckets
        ],
        "件",
    )
    return render(
        request,
        "charts.html",
        worker,
        mix=mix,
        mix_chart=mix_chart,
        volume_chart=volume_chart,
        legend=charts.legend(channels),
        columns=columns,
        series=series,
        age_chart=age_chart,
        buckets=buckets,
    )


# --- livestream host console ---------------------------------------------------------------


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
            settings.rasa_url, settings.rasa_timeout_s, session_id, questions
        )
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
    """Creates a need report for every question the host flagged, then shows the batch again
    with the report numbers. The batch travels in the form: no session is kept server-side."""
    if not len(text) == len(viewer) == len(contact) == len(answer) == len(understood):
        return render(
            request, "message.html", worker, 422, message="提交的内容不完整，请重新答疑。"
        )
    questions = [
        ViewerQuestion(text=t[:300], viewer=v or None, contact=c.strip() or None)
        for t, v, c in zip(text, viewer, contact, strict=True)
    ]
    answers = [(a, u == "1") for a, u in zip(answer, understood, strict=True)]
    already = frozenset(reported or [])
    flagged = frozenset(n for n in follow_up or [] if 0 <= n < len(questions)) - already
    items = []
    for n in sorted(flagged):
        question, (reply, _) = questions[n], answers[n]
        who = question.viewer or "观众"
        contact_text = f"，联系方式 {question.contact}" if question.contact else "，未留联系方式"
        items.append(
            NeedReportCreate(
                channel=NeedChannel.livestream,
                sender_id=sender_id(session_id, n + 1),
                text=(
                    f"直播观众{who}{contact_text}。提问：{question.text}\n"
                    f"助手回答：{reply or '（未回答）'}"
                ),
                source_detail=(title or f"直播答疑 {session_id}")[:200],
            )
        )
    try:
        reports = need_reports.create_batch(session, items) if items else []
    except (DomainError, ValidationError) as error:
        session.rollback()
        return render(request, "message.html", worker, 409, message=chinese_error(error))
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
