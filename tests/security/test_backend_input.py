"""Finding 6 (backend part): request bodies are bounded before anything reads them, a lone
surrogate in JSON is a 422 and not a 500, and validation errors never echo what was sent."""

from collections.abc import Iterator

import httpx
import pytest

from testsupport.servers import Backend, backend_server, staff_client

# A phone number as residents type it: it must not come back in an error.
PHONE = "13912345678"


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    with backend_server(tmp_path_factory.mktemp("backend-input")) as running_backend:
        yield running_backend


@pytest.fixture
def staff(backend: Backend) -> Iterator[httpx.Client]:
    with staff_client(backend) as client:
        yield client


def test_an_oversized_body_is_refused_before_authentication(backend: Backend) -> None:
    """40 MB used to be read, then answered 401; now the declared length alone gets a 413."""
    oversized = b'{"policy": "' + b"x" * 2_000_000 + b'"}'
    response = httpx.post(
        f"{backend.url}/api/v1/cases",
        content=oversized,
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert response.status_code == 413
    assert "too large" in response.json()["detail"]


def test_an_oversized_chunked_body_is_cut_off(backend: Backend) -> None:
    """No Content-Length (chunked transfer): refused once the limit is passed."""

    def chunks() -> Iterator[bytes]:
        for _ in range(40):
            yield b"x" * 100_000

    response = httpx.post(
        f"{backend.url}/api/v1/cases",
        content=chunks(),
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert response.status_code == 413


def test_an_ordinary_body_still_reaches_authentication(backend: Backend) -> None:
    response = httpx.post(f"{backend.url}/api/v1/cases", json={"policy": "dibao"}, timeout=10)
    assert response.status_code == 401


@pytest.mark.parametrize("field", ["applicant_name", "policy", "phone"])
def test_a_lone_surrogate_is_a_422_not_a_500(staff: httpx.Client, field: str) -> None:
    case = {
        "policy": "dibao",
        "applicant_name": "王秀英",
        "phone": PHONE,
        "channel": "staff",
        field: "\\ud800",
    }
    body = "{" + ", ".join(f'"{key}": "{value}"' for key, value in case.items()) + "}"
    response = staff.post(
        "/cases", content=body.encode(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert PHONE not in response.text
    assert all("input" not in error for error in response.json()["detail"])


def test_a_surrogate_pair_is_still_a_valid_character(staff: httpx.Client) -> None:
    """An emoji escaped as its UTF-16 pair is text, not an error."""
    body = (
        '{"policy": "dibao", "applicant_name": "\\u738b\\ud83d\\ude00", '
        f'"phone": "{PHONE}", "channel": "staff"}}'
    )
    response = staff.post(
        "/cases", content=body.encode(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 201, response.text


def test_validation_errors_do_not_echo_the_input(staff: httpx.Client) -> None:
    """A case with the policy missing used to come back whole in the 422, phone included; a
    mistyped phone came back as typed."""
    missing_policy = staff.post(
        "/cases", json={"applicant_name": "王秀英", "phone": PHONE, "channel": "staff"}
    )
    assert missing_policy.status_code == 422
    assert PHONE not in missing_policy.text
    assert all("input" not in error for error in missing_policy.json()["detail"])
    mistyped = staff.post(
        "/cases",
        json={"policy": "dibao", "applicant_name": "王秀英", "phone": PHONE + "99"},
    )
    assert mistyped.status_code == 422
    assert PHONE not in mistyped.text
    # The error still says which field is wrong and why.
    assert any(error["loc"][-1] == "phone" for error in mistyped.json()["detail"])
