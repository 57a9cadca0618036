"""“绑定”: a resident links this WeChat to their resident record, so status questions find the
bookings and applications made by phone or in person.

Anyone can type a phone number, so WeChat asks for the ID number on file as well, after
consent. The message with the numbers goes to the backend and nowhere else: never to Rasa,
never to a log, never to the shared state."""

import logging
import re

from channels.wechat import messages
from channels.wechat.backend_client import BackendError
from channels.wechat.services import Services
from common.personal_numbers import mainland_mobile

log = logging.getLogger(__name__)

# A binding in progress is forgotten after this long.
STEP_TTL_S = 600
_ID_NUMBER = re.compile(r"(?<![0-9])[1-9]\d{16}[0-9Xx](?![0-9Xx])")
_PHONE = re.compile(r"(?<![0-9])(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?![0-9])")


class Binding:
    def __init__(self, services: Services) -> None:
        self.services = services

    def _step_key(self, openid: str) -> str:
        return f"bind:{openid}"

    async def handle(self, openid: str, text: str) -> str | None:
        """The answer if `text` belongs to a binding (starting one or a step of one), else None."""
        state = self.services.state
        step = state.get(self._step_key(openid))
        if messages.said(text, messages.BIND_WORDS):
            state.set(self._step_key(openid), "consent", STEP_TTL_S)
            return messages.BIND_CONSENT
        if step is None:
            return None
        if messages.said(text, messages.CANCEL_WORDS):
            state.delete(self._step_key(openid))
            return messages.BIND_CANCELLED
        if step == "consent":
            if not messages.said(text, messages.BIND_AGREE_WORDS):
                state.delete(self._step_key(openid))
                return None  # not an answer to the consent: an ordinary message
            state.set(self._step_key(openid), "numbers", STEP_TTL_S)
            return messages.BIND_ASK_NUMBERS
        if not any(character.isdigit() for character in text):
            # No numbers at all: the resident moved on to something else.
            state.delete(self._step_key(openid))
            return None
        return await self._link(openid, text)

    async def _link(self, openid: str, text: str) -> str:
        id_match = _ID_NUMBER.search(text)
        rest = text.replace(id_match.group(0), " ") if id_match else text
        phone_match = _PHONE.search(rest)
        phone = mainland_mobile(phone_match.group(0)) if phone_match else None
        if id_match is None or phone is None:
            return messages.BIND_NEEDS_BOTH
        try:
            await self.services.backend.link_resident(
                openid=openid,
                phone=phone,
                id_number=id_match.group(0).upper(),
                consent_text=messages.BIND_CONSENT,
            )
        except BackendError as error:
            if error.status_code in (403, 422):
                log.info("a WeChat binding did not match a resident on file")
                return messages.BIND_NO_MATCH
            log.error("linking a WeChat chat failed: %s", error.status_code or "unreachable")
            return messages.BIND_FAILED
        self.services.state.delete(self._step_key(openid))
        return messages.BIND_DONE
