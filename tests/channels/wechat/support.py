"""What the WeChat tests share: a resident as WeChat posts their messages, AMR recordings, and
people to link (the front itself is served by `testsupport/wechat_channel.py`)."""

import itertools
import random
from pathlib import Path

import av

from testsupport.servers import PROJECT_ROOT
from testsupport.wechat_standin import Posted, WechatServer, WechatStandIn

HOTLINE = PROJECT_ROOT.parent / "shared" / "audio" / "zh-hotline"
# Random: a stack reused while developing remembers the conversations of earlier runs.
_ids = itertools.count(random.randrange(10**6, 10**9, 10**3))


class Resident:
    """A WeChat user of the 公众号, as WeChat posts their messages to the front."""

    def __init__(self, server: WechatServer, standin: WechatStandIn) -> None:
        self.server = server
        self.standin = standin
        self.openid = f"o-test-{next(_ids)}"

    @property
    def sender_id(self) -> str:
        return f"wx:{self.openid}"

    def say(self, text: str) -> Posted:
        posted = self.server.post(self.server.text_xml(self.openid, text, self.server.new_msg_id()))
        assert posted.status == 200, posted.raw
        return posted

    def answer(self, text: str) -> str:
        """The whole answer to `text`: the passive reply and what follows by the
        customer-service API once the turn is done."""
        start = len(self.standin.calls)
        posted = self.say(text)
        return "\n".join([posted.reply, *self.follow_ups(start)]).strip()

    def follow_ups(self, start: int) -> list[str]:
        return self.standin.custom_texts(self.openid, start)


def amr_from_wav(wav: Path) -> bytes:
    """A WeChat voice message: AMR-NB at 8 kHz, made from a recording with PyAV."""
    import io

    out = io.BytesIO()
    with av.open(str(wav)) as source, av.open(out, mode="w", format="amr") as target:
        stream = target.add_stream("libopencore_amrnb", rate=8000)
        stream.layout = "mono"
        stream.bit_rate = 12_200
        resampler = av.audio.resampler.AudioResampler(
            format="s16", layout="mono", rate=8000, frame_size=160
        )
        for frame in source.decode(audio=0):
            for resampled in resampler.resample(frame):
                for packet in stream.encode(resampled):
                    target.mux(packet)
        for resampled in resampler.resample(None):
            for packet in stream.encode(resampled):
                target.mux(packet)
        for packet in stream.encode(None):
            target.mux(packet)
    return out.getvalue()


ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECKS = "10X98765432"


def id_number(sequence: int) -> str:
    """A valid mainland ID number (born in 1950 in Yancheng) with its check digit."""
    month, day, serial = 1 + sequence % 12, 1 + sequence // 12 % 28, sequence // 336 % 1000
    base = f"3209021950{month:02d}{day:02d}{serial:03d}"
    return base + ID_CHECKS[sum(int(d) * w for d, w in zip(base, ID_WEIGHTS, strict=True)) % 11]


def new_person() -> tuple[str, str, str]:
    """A phone number, the ID number on file and another valid one, unused in this stack
    (a reused stack keeps the people of earlier runs)."""
    serial = next(_ids)
    return f"139{serial % 10**8:08d}", id_number(serial), id_number(serial + 1)
