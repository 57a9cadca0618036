"""The providers' traffic lights (红黄绿灯), red first, each with why in Chinese."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.catalogue.service import load_services
from api.console.web import Worker, render
from api.deps import SessionDep
from api.providers.schemas import ProviderStanding, TrafficLight
from api.providers.service import breaches, list_providers, standing

router = APIRouter()

LIGHT_WORD = {TrafficLight.red: "红灯", TrafficLight.yellow: "黄灯"}


def light_reasons(light: ProviderStanding) -> list[str]:
    """Why the provider has its light, in Chinese: the thresholds api.providers.service
    found crossed, or the plain counts when none was."""
    days, complaints, ratings, average = (
        light.window_days,
        light.complaints,
        light.ratings,
        light.average_rating,
    )
    reasons = []
    for breach in breaches(complaints=complaints, ratings=ratings, average=average):
        word = LIGHT_WORD[breach.light]
        if breach.measure == "complaints":
            reasons.append(f"近{days}天投诉{complaints}次（{breach.threshold}次起为{word}）")
        else:
            reasons.append(
                f"近{days}天{ratings}次评分平均{average}分（低于{breach.threshold}分为{word}）"
            )
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
