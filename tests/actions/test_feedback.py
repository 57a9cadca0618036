import httpx
import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.feedback import ActionRecordFeedback, parse_feedback
from tests.actions.support import make_tracker, texts


@pytest.mark.parametrize(
    ("said", "rating", "complaint"),
    [
        ("服务很好给五星", 5, False),
        ("打4分吧", 4, False),
        ("那个阿姨态度太差了我要投诉", None, True),
        ("一星，送来的饭是凉的", 1, True),
        ("给个好评", 5, False),
    ],
)
def test_parse_feedback(said: str, rating: int | None, complaint: bool) -> None:
    assert parse_feedback(said) == (rating, complaint)


@pytest.mark.asyncio
async def test_complaint_reaches_the_backend(staff: httpx.Client) -> None:
    dispatcher = CollectingDispatcher()
    said = "昨天来打扫的阿姨态度太差了，我要投诉"
    tracker = make_tracker(said, "give_feedback", sender_id="fb-1")
    await ActionRecordFeedback().run(dispatcher, tracker, {})
    assert "非常抱歉" in texts(dispatcher)
    stored = [item for item in staff.get("/feedback").json() if item["text"] == said]
    assert len(stored) == 1 and stored[0]["is_complaint"] is True
