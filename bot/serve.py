"""`rasa` as we run it: Rasa's own command line, with the action-reply check compiled once and
the connections to the action server kept open.

Rasa checks every reply from the action server against its JSON schema with
`jsonschema.validate`, which first validates the schema itself against the metaschema and
builds a new validator, on every call. Measured here (jsonschema 4.17, a reply of one text
and five events): 36 ms per call, 3.5 ms with the validator built once; a booking turn runs
two or three custom actions, and under eight residents this check was 37 % of the Rasa
process's time (py-spy, README "Scale and operations"). Rasa offers no setting for it, so
this launcher replaces the one method before handing over to Rasa's `main()`; the check
itself (same schema, same error) is unchanged.

Rasa's `EndpointConfig.request` opens a new aiohttp session, so a new TCP connection, for every
custom action it calls (4 % of the Rasa process under 32 residents, py-spy, and an accepted
connection per action on the action server). The action endpoint read from endpoints.yml
becomes a `KeptAliveEndpoint`: the same requests, headers, token and timeouts, over one
session per process whose idle connections are kept for a moment.

Once the model is loaded, what was loaded is frozen out of the garbage collector's generations
(`gc.freeze`): a full collection walked its 700,000 objects in 200-280 ms (measured here with a
gc callback), a pause for every turn in flight, several times a minute under load.

    .venvs/rasa/bin/python -m bot.serve run --enable-api …   (same arguments as `rasa`)
"""

import asyncio
import contextlib
import gc
from functools import cache
from typing import Any

import aiohttp
import rasa.core.run
from jsonschema import ValidationError
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT
from rasa.core.utils import AvailableEndpoints
from rasa.utils.endpoints import EndpointConfig

# Shorter than the action server's own keep-alive (Sanic's 5 s; HAProxy's in the scaled
# profile is longer): a connection is always dropped by this side first, so a request never
# goes out on one the server is closing.
IDLE_CONNECTION_KEPT_S = 2.0


@cache
def action_reply_validator() -> Validator:
    """Rasa's action-reply schema, checked once and compiled into a validator."""
    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def validate_action_reply(_action: RemoteAction, result: dict[str, Any]) -> bool:
    """`RemoteAction._validate_action_result` with the validator built once; the error Rasa
    raises (and its pointer to the docs) is kept."""
    try:
        action_reply_validator().validate(result)
    except ValidationError as error:
        error.message += (
            ". Failed to validate Action server response from API, make sure your response "
            "from the Action endpoint is valid."
        )
        raise
    return True


class KeptAliveEndpoint(EndpointConfig):
    """An endpoint whose requests share one aiohttp session (and its open connections) per
    event loop; Rasa serves on one loop, a test may run several one after the other."""

    _kept: aiohttp.ClientSession | None = None
    _kept_loop: asyncio.AbstractEventLoop | None = None

    @classmethod
    def of(cls, endpoint: EndpointConfig) -> "KeptAliveEndpoint":
        kept = cls(
            endpoint.url,
            endpoint.params,
            endpoint.headers,
            endpoint.basic_auth,
            endpoint.token,
            endpoint.token_name,
            endpoint.cafile,
            **endpoint.kwargs,
        )
        kept.type = endpoint.type
        return kept

    def session(self) -> Any:  # what `request` enters: the kept session, left open on exit
        loop = asyncio.get_running_loop()
        if self._kept is None or self._kept.closed or self._kept_loop is not loop:
            auth = (
                aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"])
                if self.basic_auth
                else None
            )
            self._kept = aiohttp.ClientSession(
                headers=self.headers,
                auth=auth,
                timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
                connector=aiohttp.TCPConnector(keepalive_timeout=IDLE_CONNECTION_KEPT_S),
            )
            self._kept_loop = loop
        return contextlib.nullcontext(self._kept)

    async def close(self) -> None:
        if self._kept is not None:
            await self._kept.close()


_read_endpoints = AvailableEndpoints.read_endpoints.__func__
_load_agent_on_start = rasa.core.run.load_agent_on_start


def read_endpoints_keeping_connections(
    cls: type[AvailableEndpoints], endpoint_file: str
) -> AvailableEndpoints:
    """Rasa's `AvailableEndpoints.read_endpoints`, with the action endpoint kept alive."""
    endpoints: AvailableEndpoints = _read_endpoints(cls, endpoint_file)
    if endpoints.action is not None:
        endpoints.action = KeptAliveEndpoint.of(endpoints.action)
    return endpoints


async def load_agent_then_freeze(*args: Any, **kwargs: Any) -> Any:
    """Rasa's `load_agent_on_start`, then everything loaded so far (TensorFlow, the model, the
    domain: about 700,000 objects) moved out of the garbage collector's sight. Left in, every
    full collection walked them all, a pause of 200-280 ms for every resident in the middle of
    a turn; they live as long as the process anyway."""
    agent = await _load_agent_on_start(*args, **kwargs)
    gc.collect()
    gc.freeze()
    return agent


def install() -> None:
    """Swap Rasa's per-call schema check for the compiled one, its action endpoint for one that
    keeps its connections, and its model loading for one that freezes what it loaded
    (idempotent)."""
    RemoteAction._validate_action_result = validate_action_reply
    AvailableEndpoints.read_endpoints = classmethod(read_endpoints_keeping_connections)
    rasa.core.run.load_agent_on_start = load_agent_then_freeze


def main() -> None:
    from rasa.__main__ import main as rasa_main

    install()
    rasa_main()


if __name__ == "__main__":
    main()
