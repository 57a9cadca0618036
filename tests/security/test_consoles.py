"""Finding 10: the web consoles. Every form post needs the page's CSRF token and the console's
own origin, every response carries security headers (a CSP without inline script or style),
cookies are Secure over HTTPS, and logging out ends the session for good."""

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from testsupport.servers import Backend, backend_server, staff_client

EVIL = "http://evil.example"


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    with backend_server(tmp_path_factory.mktemp("consoles")) as running_backend:
        with staff_client(running_backend) as staff:
            response = staff.post(
                "/cases",
                json={
                    "policy": "dibao",
                    "applicant_name": "王秀英",
                    "phone": "13800138000",
                    "channel": "staff",
                },
            )
            assert response.status_code == 201, response.text
        yield running_backend


def csrf_token(page: httpx.Response) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


def console_login(client: httpx.Client, backend: Backend) -> str:
    """Log in through the form as a browser would; the token of the next page's forms."""
    token = csrf_token(client.get("/console/login"))
    response = client.post(
        "/console/login",
        data={
            "username": backend.admin_username,
            "password": backend.admin_password,
            "csrf_token": token,
        },
        headers={"Origin": backend.url},
    )
    assert response.status_code == 303, response.text
    return csrf_token(client.get("/console/cases/A000001"))


@pytest.fixture
def browser(backend: Backend) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=backend.url, timeout=10) as client:
        yield client


def transition(
    client: httpx.Client, token: str | None, headers: dict[str, str], status: str = "accepted"
) -> httpx.Response:
    data = {"to_status": status, "comment": "已核实"}
    if token is not None:
        data["csrf_token"] = token
    return client.post("/console/cases/A000001/transition", data=data, headers=headers)


def test_form_posts_without_the_csrf_token_are_refused(
    backend: Backend, browser: httpx.Client
) -> None:
    """SameSite=Strict alone let a same-site page post the forms."""
    token = console_login(browser, backend)
    same_origin = {"Origin": backend.url}
    assert transition(browser, None, same_origin).status_code == 403
    assert transition(browser, "forged.0123", same_origin).status_code == 403
    # A token from another browser (its own cookie) does not fit this browser's cookie.
    with httpx.Client(base_url=backend.url, timeout=10) as other:
        other_token = console_login(other, backend)
    assert transition(browser, other_token, same_origin).status_code == 403
    assert case_status(backend) == "submitted"
    moved = transition(browser, token, same_origin)
    assert moved.status_code == 303, moved.text
    assert case_status(backend) == "accepted"


def case_status(backend: Backend) -> str:
    with staff_client(backend) as staff:
        status: str = staff.get("/cases/A000001").json()["status"]
    return status


def test_cross_origin_posts_are_refused_even_with_a_token(
    backend: Backend, browser: httpx.Client
) -> None:
    token = console_login(browser, backend)
    assert transition(browser, token, {"Origin": EVIL}).status_code == 403
    assert transition(browser, token, {"Origin": "null"}).status_code == 403
    assert transition(browser, token, {"Referer": f"{EVIL}/page"}).status_code == 403
    # A sibling subdomain is same-site but not same-origin.
    sibling = backend.url.replace("127.0.0.1", "evil.localhost")
    assert transition(browser, token, {"Origin": sibling}).status_code == 403


def test_login_and_logout_forms_need_the_token_too(backend: Backend, browser: httpx.Client) -> None:
    browser.get("/console/login")
    refused = browser.post(
        "/console/login",
        data={"username": backend.admin_username, "password": backend.admin_password},
        headers={"Origin": backend.url},
    )
    assert refused.status_code == 403
    assert "linli_console" not in refused.cookies
    console_login(browser, backend)
    assert browser.post("/console/logout", headers={"Origin": backend.url}).status_code == 403
    assert browser.get("/console/").status_code == 200


def test_logout_ends_the_session_even_for_a_copied_cookie(
    backend: Backend, browser: httpx.Client
) -> None:
    """The cookie used to be deleted while the token in it stayed valid for 8 hours."""
    console_login(browser, backend)
    page = browser.get("/console/")
    session_cookie = browser.cookies["linli_console"]
    token = csrf_token(page)
    out = browser.post(
        "/console/logout", data={"csrf_token": token}, headers={"Origin": backend.url}
    )
    assert out.status_code == 303
    with httpx.Client(base_url=backend.url, timeout=10) as thief:
        thief.cookies.set("linli_console", session_cookie, path="/console")
        replay = thief.get("/console/", follow_redirects=False)
    assert replay.status_code == 303 and replay.headers["location"] == "/console/login"


def test_the_console_cookie_is_no_api_bearer_token(backend: Backend, browser: httpx.Client) -> None:
    console_login(browser, backend)
    session_cookie = browser.cookies["linli_console"]
    response = httpx.get(
        f"{backend.url}/api/v1/me", headers={"Authorization": f"Bearer {session_cookie}"}
    )
    assert response.status_code == 401


@pytest.mark.parametrize(
    "path", ["/console/login", "/console/", "/console/charts", "/api/v1/policies", "/nowhere"]
)
def test_every_response_carries_the_security_headers(
    backend: Backend, browser: httpx.Client, path: str
) -> None:
    console_login(browser, backend)
    response = browser.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "script-src 'self'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize(
    "path",
    [
        "/console/login",
        "/console/",
        "/console/cases/A000001",
        "/console/bookings",
        "/console/callbacks",
        "/console/needs",
        "/console/providers",
        "/console/charts",
        "/console/host",
    ],
)
def test_pages_need_no_inline_script_or_style(
    backend: Backend, browser: httpx.Client, path: str
) -> None:
    """What the CSP forbids must not be in the pages, or the browser would drop it."""
    console_login(browser, backend)
    page = browser.get(path)
    assert page.status_code == 200
    assert "<script" not in page.text and "<style" not in page.text
    assert " style=" not in page.text and "javascript:" not in page.text
    assert not re.search(r"\son[a-z]+=", page.text)


def test_cookies_are_secure_over_https(backend: Backend, tmp_path: Path) -> None:
    """Behind a TLS proxy (X-Forwarded-Proto from a trusted address, uvicorn's default) the
    cookies get the Secure flag."""
    https = {"X-Forwarded-Proto": "https"}
    with httpx.Client(base_url=backend.url, timeout=10, headers=https) as client:
        page = client.get("/console/login")
        assert "Secure" in page.headers["set-cookie"]
        assert "Strict-Transport-Security" in page.headers
        token = csrf_token(page)
        nonce = page.headers["set-cookie"].split(";")[0].split("=", 1)[1]
        client.cookies.set("linli_csrf", nonce, path="/console")
        response = client.post(
            "/console/login",
            data={
                "username": backend.admin_username,
                "password": backend.admin_password,
                "csrf_token": token,
            },
            headers={"Origin": backend.url.replace("http://", "https://")},
        )
        assert response.status_code == 303, response.text
        session = response.headers["set-cookie"]
        assert "linli_console=" in session
        assert "Secure" in session and "HttpOnly" in session and "SameSite=strict" in session


def test_console_logins_are_throttled_in_chinese(backend: Backend, browser: httpx.Client) -> None:
    token = csrf_token(browser.get("/console/login"))

    def attempt() -> httpx.Response:
        return browser.post(
            "/console/login",
            data={"username": "sw-ghost", "password": "guess", "csrf_token": token},
            headers={"Origin": backend.url},
        )

    assert [attempt().status_code for _ in range(5)] == [401] * 5
    throttled = attempt()
    assert throttled.status_code == 429
    assert "登录失败次数过多" in throttled.text and int(throttled.headers["Retry-After"]) >= 1
