from fastapi import APIRouter

from api.catalogue.schemas import ServiceOut
from api.catalogue.service import load_services

router = APIRouter(prefix="/services", tags=["services"])


@router.get("", response_model=list[ServiceOut])
def list_services() -> list[ServiceOut]:
    """The home services residents can book (public: the catalogue holds no personal data)."""
    return list(load_services().values())
