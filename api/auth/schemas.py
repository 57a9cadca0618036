from pydantic import BaseModel


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"


class PrincipalOut(BaseModel):
    kind: str
    name: str
    role: str
