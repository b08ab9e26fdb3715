"""Security in a real browser and against the real server.

(a) Offline: every request to a host other than 127.0.0.1 / localhost is aborted
    and recorded; the whole flow (Data -> Train -> Explore drag) still works and
    nothing was attempted.
(b) User strings (column names, file names) render as text, never as HTML.
(c) The server itself enforces server.maxUploadSize (the uploader's own limit
    is checked only in the browser).
(d) XSRF protection stays on: an upload without the XSRF cookie and token is refused.
"""

from __future__ import annotations

import http.client
import re
import tomllib
import uuid
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ROOT, new_context, wait_for_app, wait_for_run_end

pytestmark = pytest.mark.slow

CONFIG = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
LIMIT_MB = CONFIG["server"]["maxUploadSize"]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
TRAIN_TIMEOUT_MS = 240_000
XSRF_COOKIE = "_streamlit_xsrf"


# -- (a) offline -----------------------------------------------------------------------------------


def test_the_whole_flow_works_offline_and_nothing_leaves_the_machine(app_url, browser):
    context = new_context(browser)
    blocked: list[str] = []

    def guard(route) -> None:
        url = route.request.url
        host = urlsplit(url).hostname or ""
        if url.startswith(("data:", "blob:")) or host in LOCAL_HOSTS:
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    context.route("**/*", guard)
    context.route_web_socket(
        re.compile(r"^wss?://(?!(127\.0\.0\.1|localhost)[:/])"),
        lambda ws: (blocked.append(ws.url), ws.close()),
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        # Data: the default dataset.
        page.goto(f"{app_url}/data")
        wait_for_app(page)
        page.get_by_role("button", name="Use this dataset").first.click()
        wait_for_app(page)
        sidebar = page.locator("[data-testid='stSidebar']")
        expect(sidebar).to_contain_text("Dataset: Two moons")
        # Train with the default settings, until finished.
        page.get_by_role("link", name=re.compile(r"Train$")).first.click()
        wait_for_app(page)
        page.get_by_role("button", name="Start").click()
        wait_for_run_end(page, TRAIN_TIMEOUT_MS)
        # Explore: drag the latent point; the decoded readout follows.
        page.get_by_role("link", name=re.compile(r"Explore$")).first.click()
        wait_for_app(page)
        _drag_the_latent_point(page)
        expect(page.locator("[data-testid='stException']")).to_have_count(0)
    finally:
        context.close()
    assert blocked == [], f"the app tried to reach other hosts: {blocked}"
    assert errors == []


def _drag_the_latent_point(page: Page) -> None:
    from tests.e2e.test_explore import drag, exact_readout, pad_state, wait_for_readout, z_to_px

    canvas = page.locator(".ll-latent canvas.ll-fg").first
    expect(canvas).to_be_visible()
    box = canvas.bounding_box()
    before = exact_readout(page)
    limit = pad_state(page)["limit"]
    drag(page, z_to_px(box, limit, *before["z"]), z_to_px(box, limit, 1.0, -1.0))
    after = wait_for_readout(page, before)
    assert after["z"] != before["z"] and after["x"] != before["x"]
    assert abs(after["z"][0] - 1.0) < 0.1 and abs(after["z"][1] + 1.0) < 0.1


# -- (b) user strings ------------------------------------------------------------------------------

HTML_NAME = "<img src=x onerror=alert(1)>"
MD_NAME = "**bold**"


def upload(page: Page, app_url: str, name: str, payload: bytes) -> list[dict]:
    """Upload a file through the Data page's uploader; returns the upload requests the browser made."""
    requests: list[dict] = []
    page.on(
        "request",
        lambda r: (
            requests.append({"url": r.url, "headers": r.headers, "method": r.method})
            if "/_stcore/upload_file/" in r.url
            else None
        ),
    )
    page.goto(f"{app_url}/data")
    wait_for_app(page)
    page.get_by_role("tab", name=re.compile("Upload")).click()
    page.locator("[data-testid='stFileUploader'] input[type=file]").first.set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": payload}]
    )
    expect(page.get_by_text(re.compile(r"Read 3 rows × 2 columns"))).to_be_visible(timeout=30_000)
    wait_for_app(page)
    return requests


@pytest.fixture(scope="module")
def hostile_upload(app_url, browser):
    """A page after uploading (and using) a CSV whose column names are HTML and Markdown."""
    context = new_context(browser)
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    payload = f"{HTML_NAME},{MD_NAME}\n1,2\n3,5\n4,1\n".encode()
    requests = upload(page, app_url, "names.csv", payload)
    page.get_by_role("button", name="Use this dataset").last.click()
    wait_for_app(page)
    yield {"page": page, "context": context, "dialogs": dialogs, "requests": requests}
    context.close()


def test_column_names_are_not_rendered_as_html(hostile_upload):
    page = hostile_upload["page"]
    expect(page.get_by_text("Active dataset: names.csv")).to_be_visible()
    # The literal strings are shown (the column chooser lists them as text)...
    chooser = page.locator("[data-testid='stMultiSelect']").first
    expect(chooser).to_contain_text(HTML_NAME)
    expect(chooser).to_contain_text(MD_NAME)
    assert page.get_by_text(HTML_NAME, exact=False).count() >= 1
    # ...and never become elements: no image, no script ran.
    assert page.locator("img[src='x']").count() == 0
    assert page.evaluate("() => [...document.images].filter(i => i.getAttribute('src') === 'x').length") == 0
    assert hostile_upload["dialogs"] == []
    expect(page.locator("[data-testid='stException']")).to_have_count(0)


def test_column_names_are_not_rendered_as_markdown(hostile_upload):
    page = hostile_upload["page"]
    assert page.locator("strong", has_text=re.compile(r"^bold$")).count() == 0
    notes = page.get_by_text(re.compile(r"Modelling .* on all 3 rows"))
    expect(notes).to_contain_text(MD_NAME)


@pytest.fixture(scope="module")
def markdown_names(app_url, browser):
    """A file and columns named like Markdown images and links, uploaded and used; what the page holds."""
    context = new_context(browser)
    outbound: list[str] = []

    def guard(route) -> None:
        if (urlsplit(route.request.url).hostname or "") in LOCAL_HOSTS:
            route.continue_()
        else:
            outbound.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    try:
        payload = b"![t](http://example.invalid/col.png),[link](http://example.invalid/x)\n1,2\n3,5\n4,1\n"
        upload(page, app_url, "![n](http://example.invalid/name.png).csv", payload)
        page.get_by_role("button", name="Use this dataset").last.click()
        # The click's rerun may not have started yet when the app first looks ready: wait for its result.
        expect(page.locator("[data-testid='stSidebar']")).not_to_contain_text("Dataset: none yet")
        wait_for_app(page)
        sidebar = page.locator("[data-testid='stSidebar']").inner_text()
        page.wait_for_timeout(1000)  # let any image request fire
        srcs = page.evaluate("() => [...document.images].map(i => i.src)")
        links = page.evaluate(
            "() => [...document.links].map(a => [a.href, a.closest('[data-testid]')"
            "?.getAttribute('data-testid')])"
        )
    finally:
        context.close()
    return {"outbound": outbound, "srcs": srcs, "links": links, "sidebar": sidebar}


def test_markdown_images_in_names_fetch_nothing(markdown_names):
    """A file or column named like a Markdown image must not make the browser fetch it (a tracking pixel)."""
    # Shown literally (an invisible word joiner keeps the address from becoming a link).
    assert "![n](http://example.invalid/name.png)" in markdown_names["sidebar"].replace("\u2060", "")
    assert markdown_names["outbound"] == []
    assert not [u for u in markdown_names["srcs"] if "example.invalid" in u]


def test_urls_in_names_do_not_become_links(markdown_names):
    assert [link for link in markdown_names["links"] if "example.invalid" in link[0]] == []


# -- (c) the upload limit and (d) XSRF, against the server ----------------------------------------


def _multipart(size: int) -> tuple[bytes, bytes, str]:
    """(head, tail, content type) of a one-file multipart body whose file has ``size`` bytes."""
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n'
        f"Content-Type: text/csv\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    return head, tail, f"multipart/form-data; boundary={boundary}"


def _put(
    app_url: str,
    path: str,
    headers: dict[str, str],
    size: int = 100,
    *,
    chunked: bool = False,
    declare: int | None = None,
) -> int:
    """PUT a multipart upload of ``size`` bytes; the HTTP status (413 may come mid-stream)."""
    host, port = urlsplit(app_url).hostname, urlsplit(app_url).port
    conn = http.client.HTTPConnection(host, port, timeout=120)
    head, tail, content_type = _multipart(size)
    try:
        conn.putrequest("PUT", path)
        for key, value in {**headers, "Content-Type": content_type}.items():
            conn.putheader(key, value)
        if chunked:
            conn.putheader("Transfer-Encoding", "chunked")
        else:
            conn.putheader(
                "Content-Length", str(declare if declare is not None else len(head) + size + len(tail))
            )
        conn.endheaders()
        try:
            if declare is None:
                block = b"0" * (1 << 20)
                parts = [head, *([block] * (size // len(block))), b"0" * (size % len(block)), tail]
                for part in parts:
                    if chunked and part:
                        conn.send(f"{len(part):x}\r\n".encode() + part + b"\r\n")
                    elif part:
                        conn.send(part)
                if chunked:
                    conn.send(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered (413) and closed before we finished sending
        return conn.getresponse().status
    finally:
        conn.close()


@pytest.fixture(scope="module")
def upload_session(hostile_upload):
    """The browser session's upload URL prefix, XSRF token and cookie (captured from a real upload)."""
    request = hostile_upload["requests"][0]
    path = urlsplit(request["url"]).path
    session_prefix = path.rsplit("/", 1)[0]  # /_stcore/upload_file/{session_id}
    cookies = {c["name"]: c["value"] for c in hostile_upload["context"].cookies()}
    return {
        "prefix": session_prefix,
        "token": request["headers"]["x-xsrftoken"],
        "cookie": cookies[XSRF_COOKIE],
    }


def _auth(upload_session) -> dict[str, str]:
    return {"X-Xsrftoken": upload_session["token"], "Cookie": f"{XSRF_COOKIE}={upload_session['cookie']}"}


def test_the_server_accepts_a_small_upload_with_the_session_token(app_url, upload_session):
    """The baseline for the refusals below: the same request, small and with its token, is accepted."""
    status = _put(app_url, f"{upload_session['prefix']}/{uuid.uuid4()}", _auth(upload_session), size=1000)
    assert status == 204


def test_the_server_refuses_an_upload_declared_over_the_limit(app_url, upload_session):
    limit = LIMIT_MB * 2**20
    status = _put(
        app_url, f"{upload_session['prefix']}/{uuid.uuid4()}", _auth(upload_session), declare=limit + 1
    )
    assert status == 413


def test_the_server_refuses_an_upload_streamed_past_the_limit(app_url, upload_session):
    """No Content-Length (chunked): the server counts the bytes as they arrive."""
    size = (LIMIT_MB + 2) * 2**20  # past the limit plus Streamlit's 1 MB multipart allowance
    status = _put(
        app_url, f"{upload_session['prefix']}/{uuid.uuid4()}", _auth(upload_session), size=size, chunked=True
    )
    assert status == 413


def test_xsrf_protection_is_configured_on():
    assert CONFIG["server"]["enableXsrfProtection"] is True
    assert CONFIG["server"]["enableCORS"] is True
    assert CONFIG["server"]["address"] == "127.0.0.1"


@pytest.mark.parametrize("which", ["nothing", "cookie only", "token only", "wrong token"])
def test_an_upload_without_a_valid_xsrf_token_is_forbidden(app_url, upload_session, which):
    auth = _auth(upload_session)
    headers = {
        "nothing": {},
        "cookie only": {"Cookie": auth["Cookie"]},
        "token only": {"X-Xsrftoken": auth["X-Xsrftoken"]},
        "wrong token": {**auth, "X-Xsrftoken": "2|00000000|" + "0" * 32 + "|1700000000"},
    }[which]
    status = _put(app_url, f"{upload_session['prefix']}/{uuid.uuid4()}", headers, size=1000)
    assert status == 403


def test_the_browser_gets_an_xsrf_cookie(hostile_upload):
    names = {c["name"] for c in hostile_upload["context"].cookies()}
    assert XSRF_COOKIE in names
