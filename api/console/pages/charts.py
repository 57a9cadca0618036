"""Charts of the last weeks: what residents book, how they reach the street, what waits."""

from collections import defaultdict

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.bookings import reports as booking_reports
from api.cases import service as cases
from api.console import charts, labels
from api.console.web import Worker, render
from api.deps import SessionDep
from api.stats import WeeklyCount

router = APIRouter()

WEEKS = 8
MIX_DAYS = 90


def volume_by_week_and_channel(rows: list[WeeklyCount]) -> dict[tuple[str, str], int]:
    """Counts summed per (week start "MM-DD", channel in Chinese)."""
    weekly: dict[tuple[str, str], int] = defaultdict(int)
    for row in rows:
        weekly[(row.week_start.strftime("%m-%d"), labels.label(labels.CHANNEL, row.channel))] += (
            row.count
        )
    return weekly


@router.get("/charts", response_class=HTMLResponse)
def charts_page(request: Request, session: SessionDep, worker: Worker) -> HTMLResponse:
    mix = booking_reports.service_mix(session, days=MIX_DAYS)
    mix_chart = charts.horizontal_bars(
        "service-mix",
        f"近{MIX_DAYS}天服务预约构成",
        [charts.Bar(s.name, s.count, f"{s.share:.0%}") for s in mix],
        "单",
    )
    weekly = volume_by_week_and_channel(
        [*booking_reports.weekly_volume(session, WEEKS), *cases.weekly_volume(session, WEEKS)]
    )
    columns = sorted({week for week, _ in weekly})
    channels = sorted({channel for _, channel in weekly})
    series = {channel: [weekly[(week, channel)] for week in columns] for channel in channels}
    volume_chart = charts.stacked_columns(
        "weekly-volume",
        f"近{WEEKS}周受理量（按渠道，预约与申请合计）",
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
