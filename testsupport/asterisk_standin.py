"""A stand-in for what Linli needs of Asterisk to place calls into its AudioSocket (issue 18):
the manager interface (banner, Login, Ping, Originate, OriginateResponse) and, when a callee
"answers", the dialplan context the README documents: ask the control port which plan the
call belongs to, connect `AudioSocket(${LINLI_CALL},…)`, and play the callee. No Asterisk can be
installed here; this speaks the same text protocol on a local port."""

import asyncio
import contextlib
import uuid
from dataclasses import dataclass, field

import httpx

from testsupport.callers import AudioSocketCaller

EOL = "\r\n"


@dataclass
class Callee:
    """What happens when a number is dialled: "busy", or it answers and says `says` (16 kHz PCM)
    once Linli has finished its opening."""

    answers: list[bool]  # one per call placed to this number, in order
    says: bytes = b""


@dataclass
class AsteriskStandIn:
    secret: str
    callees: dict[str, Callee]
    # Linli's AudioSocket and control port, known once linli-voice-serve runs.
    audiosocket: tuple[str, int] = ("127.0.0.1", 0)
    control_url: str = ""
    media_token: str = ""
    port: int = 0
    originated: list[dict[str, str]] = field(default_factory=list)
    plans_asked: list[str] = field(default_factory=list)
    heard: list[AudioSocketCaller] = field(default_factory=list)
    _server: asyncio.Server | None = None
    _calls: set[asyncio.Task[None]] = field(default_factory=set)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._session, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        for task in list(self._calls):
            task.cancel()
        if self._server is not None:
            self._server.close()

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(f"Asterisk Call Manager/5.0.1{EOL}".encode())
        logged_in = False
        try:
            while True:
                raw = await reader.readuntil((EOL * 2).encode())
                action = dict(
                    line.split(": ", 1) for line in raw.decode().strip().split(EOL) if ": " in line
                )
                name, action_id = action.get("Action", ""), action.get("ActionID", "")
                if name == "Login":
                    logged_in = action.get("Secret") == self.secret
                    reply = "Success" if logged_in else "Error"
                    self._send(writer, Response=reply, ActionID=action_id,
                               Message="Authentication accepted" if logged_in
                               else "Authentication failed")  # fmt: skip
                elif not logged_in:
                    self._send(writer, Response="Error", ActionID=action_id,
                               Message="Permission denied")  # fmt: skip
                elif name == "Ping":
                    self._send(writer, Response="Success", ActionID=action_id, Ping="Pong")
                elif name == "Originate":
                    self.originated.append(action)
                    self._send(writer, Response="Success", ActionID=action_id,
                               Message="Originate successfully queued")  # fmt: skip
                    task = asyncio.get_running_loop().create_task(self._place(writer, action))
                    self._calls.add(task)
                    task.add_done_callback(self._calls.discard)
                else:
                    self._send(writer, Response="Error", ActionID=action_id,
                               Message="Invalid/unknown command")  # fmt: skip
        except (asyncio.IncompleteReadError, ConnectionError):
            return

    @staticmethod
    def _send(writer: asyncio.StreamWriter, **headers: str) -> None:
        writer.write(("".join(f"{k}: {v}{EOL}" for k, v in headers.items()) + EOL).encode())

    async def _place(self, writer: asyncio.StreamWriter, action: dict[str, str]) -> None:
        number = action["Channel"].split("/", 1)[1].split("@", 1)[0]
        call_uuid = action["Variable"].split("=", 1)[1]
        callee = self.callees.get(number)
        answers = callee is not None and callee.answers and callee.answers.pop(0)
        response = {"Event": "OriginateResponse", "Privilege": "call,all",
                    "ActionID": action["ActionID"], "Channel": action["Channel"],
                    "Context": action["Context"], "Exten": "s"}  # fmt: skip
        if not answers:
            await asyncio.sleep(0.5)  # the line rings, then the far end says busy
            self._send(writer, **response, Response="Failure", Reason="5")
            return
        self._send(writer, **response, Response="Success", Reason="4")
        assert callee is not None
        # The dialplan: which plan is this, then the AudioSocket with the UUID.
        async with httpx.AsyncClient() as http:
            plan = await http.get(
                f"{self.control_url.rsplit('/', 1)[0]}/outbound/{call_uuid}",
                headers={"Authorization": f"Bearer {self.media_token}"},
            )
        self.plans_asked.append(plan.text)
        line = AudioSocketCaller(uuid.UUID(call_uuid))
        self.heard.append(line)
        await line.connect(*self.audiosocket)
        line.start_sending()
        try:
            if await line.wait_for_audio():
                await line.wait_for_reply(0.0)  # the opening, said to its end
                await line.say(callee.says)
                await line.wait_for_hangup(60)
        finally:
            with contextlib.suppress(Exception):
                await line.close()
