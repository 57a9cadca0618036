from fastapi import APIRouter, status

from api.auth.models import Role
from api.deps import AdminPrincipal, SessionDep, StaffPrincipal, WorkerPrincipal
from api.errors import PermissionDeniedError
from api.providers import service
from api.providers.schemas import ProviderCreate, ProviderOut
from api.validation import RecordId

router = APIRouter(prefix="/providers", tags=["providers"])


@router.post("", response_model=ProviderOut, status_code=status.HTTP_201_CREATED)
def create_provider(
    data: ProviderCreate, session: SessionDep, _admin: AdminPrincipal
) -> ProviderOut:
    return service.provider_out(session, service.create_provider(session, data))


@router.get("", response_model=list[ProviderOut])
def list_providers(session: SessionDep, _staff: StaffPrincipal) -> list[ProviderOut]:
    """Every provider with its traffic light and the reasons for it."""
    return [service.provider_out(session, p) for p in service.list_providers(session)]


@router.get("/{provider_id}", response_model=ProviderOut)
def read_provider(
    provider_id: RecordId, session: SessionDep, caller: WorkerPrincipal
) -> ProviderOut:
    """A provider and its traffic light; a provider's own workers may see theirs."""
    if caller.role == Role.provider_worker and caller.provider_id != provider_id:
        raise PermissionDeniedError("Provider workers may only see their own provider")
    return service.provider_out(session, service.get_provider(session, provider_id))
