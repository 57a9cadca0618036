from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    # Seconds the access token is valid; before then, exchange the refresh token for a new
    # pair at /login/refresh-token (the refresh token is not a bearer token).
    expires_in: int
    refresh_token: str


class RefreshRequest(BaseModel):
    refresh_token: Annotated[str, StringConstraints(min_length=1, max_length=2000)]


class PasswordChange(BaseModel):
    current_password: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    # Checked against the password policy (api.auth.service.check_password_policy).
    new_password: Annotated[str, StringConstraints(min_length=12, max_length=128)]


class PrincipalOut(BaseModel):
    kind: str
    name: str
    role: str


class StaffRole(StrEnum):
    """Roles a person can have; channels hold API keys, not accounts."""

    admin = "admin"
    social_worker = "social_worker"
    provider_worker = "provider_worker"


class StaffUserCreate(BaseModel):
    username: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=r"^\S+$")
    ]
    # Checked against the password policy (api.auth.service.check_password_policy).
    password: Annotated[str, StringConstraints(min_length=12, max_length=128)]
    role: StaffRole
    # Required for provider workers: the provider they work for.
    provider_id: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = None


class StaffUserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    role: str
    provider_id: int | None
    is_active: bool
    created_at: datetime
