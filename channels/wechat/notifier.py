"""Notices from the backend's notifications outbox, sent on: staff alerts (an emergency, a
hand-off, an overdue callback) to 企业微信, resident notices (worker assigned, booking confirmed,
application decided) to a linked resident's WeChat.

The backend wrote each notice in the same transaction as its cause; here one is claimed (a
lease), sent, and confirmed. A failed send is reported and offered again later; a notice sent
but not confirmed (a crash in between) is sent again after its lease — at least once, never lost.
With both WeCom paths set, a path that already took a notice is not sent it again on a retry."""

import asyncio
import logging

from channels.wechat.backend_client import BackendClient, BackendError, Notice
from channels.wechat.metrics import NOTICES
from channels.wechat.settings import WechatSettings
from channels.wechat.wechat_api import OfficialAccount, WechatApiError, WorkWechat

log = logging.getLogger(__name__)

CLAIM_LIMIT = 20
LEASE_S = 60
LAST_RETRY_S = 3600

STAFF_TITLES = {
    "emergency": "🚨 紧急求助",
    "handoff": "转人工",
    "callback_overdue": "回访逾期",
    "call_late": "外呼未拨出",
}


class Notifier:
    def __init__(
        self,
        *,
        settings: WechatSettings,
        backend: BackendClient,
        account: OfficialAccount | None,
        wecom: WorkWechat | None,
    ) -> None:
        self.settings = settings
        self.backend = backend
        self.account = account if settings.official_account else None
        self.wecom = wecom if wecom is not None and wecom.paths else None
        # Per notice, the WeCom paths that took it (a retry skips them).
        self._taken: dict[int, set[str]] = {}

    @property
    def audiences(self) -> list[str]:
        return [
            *(["staff"] if self.wecom is not None else []),
            *(["resident"] if self.account is not None else []),
        ]

    async def run(self) -> None:
        """Until cancelled: claim, send, confirm; then wait for the next round."""
        if not self.audiences:
            return
        log.info("sending notices to: %s", ", ".join(self.audiences))
        while True:
            try:
                await self.send_due()
            except BackendError as error:
                log.warning("notices: %s", error)
            except Exception:
                log.exception("notices: a round failed")
            await asyncio.sleep(self.settings.notify_interval_s)

    async def send_due(self) -> int:
        """One round; the number of notices delivered."""
        notices = await self.backend.claim_notices(
            audiences=self.audiences, limit=CLAIM_LIMIT, lease_s=LEASE_S
        )
        delivered = 0
        for notice in notices:
            try:
                await self._send(notice)
            except WechatApiError as error:
                log.warning("notice %s (%s) not sent: %s", notice.id, notice.kind, error)
                NOTICES.labels(notice.audience, "failed").inc()
                await self.backend.notice_failed(
                    notice.id, error=str(error), retry_in_s=self._retry_in(notice)
                )
                continue
            self._taken.pop(notice.id, None)
            NOTICES.labels(notice.audience, "sent").inc()
            await self.backend.notice_delivered(notice.id)
            delivered += 1
        return delivered

    def _retry_in(self, notice: Notice) -> int:
        first = self.settings.notify_retry_s
        return int(min(first * 2 ** max(notice.attempts - 1, 0), LAST_RETRY_S))

    async def _send(self, notice: Notice) -> None:
        if notice.audience == "staff":
            if self.wecom is None:
                raise WechatApiError("WeCom is not configured")
            text = self.staff_text(notice)
            taken = self._taken.setdefault(notice.id, set())
            for path in self.wecom.paths:
                if path not in taken:
                    await self.wecom.send(path, text)
                    taken.add(path)
            return
        if self.account is None or not notice.recipient:
            raise WechatApiError("the Official Account is not configured")
        openid = notice.recipient.removeprefix("wx:")
        template_id = self.template_for(notice.kind)
        if template_id:
            await self.account.send_template(
                openid,
                template_id,
                {
                    "first": {"value": notice.text},
                    "keyword1": {"value": notice.subject},
                    "keyword2": {"value": notice.text},
                    "remark": {"value": "有疑问可以直接回复消息，或者说“转人工”。"},
                },
            )
        else:
            await self.account.send_text(openid, notice.text)

    def staff_text(self, notice: Notice) -> str:
        title = STAFF_TITLES.get(notice.kind, notice.kind)
        link = self.settings.console_url.rstrip("/") + notice.link if notice.link else ""
        return f"【{title}】{notice.text}\n编号：{notice.subject}" + (
            f"\n处理：{link}" if link else ""
        )

    def template_for(self, kind: str) -> str:
        return {
            "worker_assigned": self.settings.template_worker_assigned,
            "booking_confirmed": self.settings.template_booking_confirmed,
            "application_decided": self.settings.template_application_decided,
        }.get(kind, "")
