"""Asyncio HTTP load generator (aiohttp): log-ins, pagination discovery, closed-loop load.

`drive()` keeps `concurrency` requests in flight (each task sends its next request when the previous one has
answered), for a number of requests or a duration, timing each request from send to the last body byte.
Any status outside 200-399, and any connection error or timeout, counts as an error.
"""

import asyncio
import html
import json
import math
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import aiohttp

from bench.server import HarnessError

TIMEOUT = aiohttp.ClientTimeout(total=60)


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None


@dataclass
class Target:
    """What one endpoint sends: `make()` gives the next request (None when there is nothing left to send,
    e.g. no fresh application to accept); `seen()` gets every status and body (e.g. to collect new ids)."""

    make: Callable[[], Request | None]
    seen: Callable[[int, bytes], None] = lambda status, body: None


def fixed(request: Request) -> Target:
    return Target(make=lambda: request)


def percentile(ordered: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default) on an already sorted list."""
    if not ordered:
        return math.nan
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summarize(latencies: list[float], statuses: Counter, elapsed: float, *, keep_raw: bool) -> dict:
    """Milliseconds and requests/s from per-request seconds; `raw_ms` only when asked (c=1 phases)."""
    ordered = sorted(latencies)
    ms = [x * 1000 for x in ordered]
    errors = sum(n for status, n in statuses.items() if not (status.isdigit() and 200 <= int(status) < 400))
    out = {
        "requests": len(ms),
        "errors": errors,
        "statuses": dict(sorted(statuses.items())),
        "elapsed_s": round(elapsed, 3),
        "rps": round(len(ms) / elapsed, 2) if ms and elapsed > 0 else None,  # None, not NaN: valid JSON
        "mean_ms": round(sum(ms) / len(ms), 3) if ms else None,
        "min_ms": round(ms[0], 3) if ms else None,
        "max_ms": round(ms[-1], 3) if ms else None,
    }
    for q in (50, 90, 95, 99, 99.9):
        out[f"p{q:g}_ms".replace(".", "_")] = round(percentile(ms, q), 3) if ms else None
    if keep_raw:
        out["raw_ms"] = [round(x, 3) for x in ms]
    return out


def new_session(concurrency: int, *, cookies: bool = False) -> aiohttp.ClientSession:
    # Keep-alive shorter than gunicorn's 5 s, so the client never reuses a connection the server is closing.
    connector = aiohttp.TCPConnector(limit=max(concurrency, 1), keepalive_timeout=3)
    jar = aiohttp.CookieJar(unsafe=True) if cookies else aiohttp.DummyCookieJar()  # unsafe: cookies for an IP
    return aiohttp.ClientSession(connector=connector, cookie_jar=jar, timeout=TIMEOUT)


async def drive(
    base_url: str,
    target: Target,
    *,
    concurrency: int,
    count: int | None = None,
    duration: float | None = None,
    keep_raw: bool = False,
    on_progress: Callable[[int], None] | None = None,
) -> dict:
    """Closed-loop load: stop after `count` requests, after `duration` seconds, or when `make()` is empty."""
    latencies: list[float] = []
    statuses: Counter = Counter()
    issued = 0
    start = time.perf_counter()
    deadline = start + duration if duration else math.inf

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal issued
        while time.perf_counter() < deadline and (count is None or issued < count):
            request = target.make()
            if request is None:
                return
            issued += 1
            began = time.perf_counter()
            try:
                async with session.request(
                    request.method,
                    base_url + request.path,
                    headers=request.headers,
                    data=request.body,
                    allow_redirects=False,
                ) as response:
                    body = await response.read()
                    status = str(response.status)
            except (aiohttp.ClientError, TimeoutError) as error:
                body, status = b"", f"error:{type(error).__name__}"
            latencies.append(time.perf_counter() - began)
            statuses[status] += 1
            target.seen(int(status) if status.isdigit() else 0, body)
            if on_progress is not None:
                on_progress(len(latencies))

    async with new_session(concurrency) as session:
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
    return summarize(latencies, statuses, time.perf_counter() - start, keep_raw=keep_raw)


# --- logging in ----------------------------------------------------------------------------------------------

CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


async def session_login(base_url: str, username: str, password: str) -> str:
    """Log in through the login form (CSRF cookie and field) and return the session cookie's value."""
    async with new_session(1, cookies=True) as session:
        async with session.get(f"{base_url}/accounts/login/") as response:
            page = await response.text()
        match = CSRF_FIELD.search(page)
        if response.status != 200 or not match:
            raise HarnessError(f"login page answered {response.status} without a CSRF field")
        form = {"username": username, "password": password, "csrfmiddlewaretoken": match.group(1)}
        async with session.post(f"{base_url}/accounts/login/", data=form, allow_redirects=False) as response:
            cookie = response.cookies.get("sessionid")
            if response.status != 302 or cookie is None:
                raise HarnessError(f"session login of {username} failed ({response.status}); is the database seeded?")
            return cookie.value


async def api_token(base_url: str, username: str, password: str) -> str:
    async with new_session(1) as session:
        payload = {"username": username, "password": password}
        async with session.post(f"{base_url}/api/v1/auth/token/", json=payload) as response:
            body = await response.json(content_type=None)
            if response.status != 200:
                raise HarnessError(f"token for {username} refused ({response.status}): {body}")
            return body["token"]


# --- discovery (not timed) -----------------------------------------------------------------------------------


async def get(base_url: str, path: str, headers: dict[str, str]) -> tuple[int, str]:
    async with (
        new_session(1) as session,
        session.get(base_url + path, headers=headers, allow_redirects=False) as response,
    ):
        return response.status, await response.text()


async def probe(base_url: str, path: str, headers: dict[str, str]) -> tuple[int, str, str]:
    """Status, body and Location of one GET that does not follow redirects; a connection error is status 0."""
    try:
        async with (
            new_session(1) as session,
            session.get(base_url + path, headers=headers, allow_redirects=False) as response,
        ):
            return response.status, await response.text(errors="replace"), response.headers.get("Location", "")
    except (aiohttp.ClientError, TimeoutError) as error:
        return 0, f"{type(error).__name__}: {error}", ""


async def get_json(base_url: str, path: str, headers: dict[str, str]) -> dict:
    status, text = await get(base_url, path, headers)
    if status != 200:
        raise HarnessError(f"GET {path} answered {status}: {text[:300]}")
    return json.loads(text)


def with_query(path: str, **params) -> str:
    """`path` with `params` set in its query string (others kept)."""
    parts = urlsplit(path)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.update({k: str(v) for k, v in params.items()})
    return urlunsplit(("", "", parts.path, urlencode(query), ""))


def local(url: str) -> str:
    """The path and query of an absolute URL (the API's `next` links name the host)."""
    parts = urlsplit(url)
    return urlunsplit(("", "", parts.path, parts.query, ""))


A_TAG = re.compile(r"<a\b[^>]*>", re.I)
ATTR = re.compile(r'\b(href|rel)="([^"]*)"', re.I)


def page_links(page_html: str, current: str) -> list[dict]:
    """Every link of a page as {"href": path?query resolved against `current`, "rel": ...}."""
    links = []
    for tag in A_TAG.findall(page_html):
        attrs = {k.lower(): html.unescape(v) for k, v in ATTR.findall(tag)}
        if "href" in attrs:
            links.append({"href": urljoin(current, attrs["href"]), "rel": attrs.get("rel", "")})
    return links


def _deepest_full(pages: list[str], at_end: bool) -> tuple[str, int]:
    """The deepest page reached, or the one before it when it is the (possibly partial) last page: a deep
    page must hold a full page of rows to be compared with the first."""
    index = len(pages) - 2 if at_end and len(pages) > 2 else len(pages) - 1
    return pages[index], index + 1


def _deep_number(last: int, depth: int) -> int:
    """Page `depth`, or the page before the (possibly partial) last one when there are fewer pages."""
    return depth if depth < last else max(1, last - 1) if last > 2 else last


async def deep_html_page(base_url: str, path: str, headers: dict[str, str], depth: int) -> tuple[str, dict]:
    """The path of page `depth` of an HTML list, or of the deepest full page if it has fewer.

    Numbered pages (`?page=N` links): that page number. Cursor pages (`rel="next"` links carrying
    `cursor=`): the next link followed up to depth-1 times.
    """
    status, text = await get(base_url, path, headers)
    if status != 200:
        raise HarnessError(f"GET {path} answered {status}")
    links = page_links(text, path)
    numbers = [
        int(n)
        for link in links
        if urlsplit(link["href"]).path == urlsplit(path).path
        for key, n in parse_qsl(urlsplit(link["href"]).query)
        if key == "page" and n.isdigit()
    ]
    next_links = [link["href"] for link in links if "next" in link["rel"].split()]
    if next_links and "cursor=" in next_links[0]:
        pages = [path]
        while len(pages) < depth and next_links:
            pages.append(next_links[0])
            status, text = await get(base_url, pages[-1], headers)
            if status != 200:
                raise HarnessError(f"GET {pages[-1]} answered {status}")
            next_links = [link["href"] for link in page_links(text, pages[-1]) if "next" in link["rel"].split()]
        chosen, page = _deepest_full(pages, at_end=not next_links)
        return chosen, {"pagination": "cursor", "page": page, "requested": depth, "pages_seen": len(pages)}
    if numbers:
        last = max(numbers)
        page = _deep_number(last, depth)
        return with_query(path, page=page), {"pagination": "page", "page": page, "requested": depth, "last_page": last}
    return path, {"pagination": "single page", "page": 1, "requested": depth, "last_page": 1}


async def deep_api_page(base_url: str, path: str, headers: dict[str, str], depth: int) -> tuple[str, dict]:
    """The same for an API list: follow a cursor `next`, or compute the page number from `count`."""
    body = await get_json(base_url, path, headers)
    nxt = body.get("next")
    if nxt and "cursor=" in nxt:
        pages = [path]
        while len(pages) < depth and nxt:
            pages.append(local(nxt))
            nxt = (await get_json(base_url, pages[-1], headers)).get("next")
        chosen, page = _deepest_full(pages, at_end=not nxt)
        return chosen, {"pagination": "cursor", "page": page, "requested": depth, "pages_seen": len(pages)}
    if nxt and body.get("count") and body.get("results"):
        last = math.ceil(body["count"] / len(body["results"]))
        page = _deep_number(last, depth)
        return with_query(path, page=page), {"pagination": "page", "page": page, "requested": depth, "last_page": last}
    return path, {"pagination": "single page", "page": 1, "requested": depth, "last_page": 1}


async def api_items(base_url: str, path: str, headers: dict[str, str], max_pages: int = 50):
    """Every item of an API list, page after page (for discovery only)."""
    current: str | None = path
    for _ in range(max_pages):
        if current is None:
            return
        body = await get_json(base_url, current, headers)
        for item in body.get("results", []):
            yield item
        current = local(body["next"]) if body.get("next") else None
