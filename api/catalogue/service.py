"""The home-service catalogue, loaded from its data file."""

from functools import lru_cache
from pathlib import Path

import yaml

from api.catalogue.schemas import ServiceOut
from api.errors import InvalidInputError

CATALOGUE_FILE = Path(__file__).resolve().parent / "data" / "services.yml"


@lru_cache
def load_services() -> dict[str, ServiceOut]:
    raw = yaml.safe_load(CATALOGUE_FILE.read_text(encoding="utf-8"))
    return {item["code"]: ServiceOut(**item) for item in raw["services"]}


def require_service(code: str) -> ServiceOut:
    services = load_services()
    if code not in services:
        raise InvalidInputError(
            f"Unknown service '{code}'. Known services: {', '.join(sorted(services))}"
        )
    return services[code]
