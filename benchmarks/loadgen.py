"""The load generator: a process of its own that plays respondents against a server on
127.0.0.1 and reports what it saw, as JSON.

    python -m benchmarks.loadgen < job.json > result.json

Standard library only (threads and http.client): it imports no Django, so its own CPU
use stays small beside the server's, and it speaks to the server only through HTTP, as a
browser would: CSRF cookie and token, form posts, redirects, and for a walk with the
survey's script the header that asks for the next step in the POST's answer.

Modes (what one "submission" is in each):
- ``submit``: one POST of the review page of a complete, prepared response, the request
  that turns it into a submitted one; the redirect to the thank-you page is not followed.
- ``baseline``: one POST of a complete response to the bare view (benchmarks/views.py).
- ``walk``: a whole respondent journey through a group link, as a browser running the
  survey's script (static/js/steps.js) makes it: the landing page, then every step's
  POST (start, each page saved, the submit) with ``X-Materia-Navigate: in-place``,
  answered with the next page itself and its URL in ``X-Materia-Location``
  (surveys/navigation.py), up to the thank-you page: 7 requests at 17 topics.
- ``walk-noscript``: the same journey without the script: every POST answered with a
  redirect, whose page is then fetched with a GET: 13 requests at 17 topics.
- ``api``: one POST of a complete response as JSON to the public API's submission
  endpoint (``/api/respond/<token>/``, materiality/api/respond.py), no cookie.

Every phase is bounded three ways (a deadline, a number of submissions and a number of
requests) and the target must be 127.0.0.1.
"""

from __future__ import annotations

import http.client
import json
import random
import re
import subprocess
import sys
import threading
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

MODES = ("submit", "baseline", "walk", "walk-noscript", "api")
# Modes that walk the questionnaire, and whether the survey's script runs in the browser.
WALKS = {"walk": True, "walk-noscript": False}
# Modes whose items are used once each: a response is submitted once.
ONCE = ("submit", "api")
# Modes whose requests carry the CSRF cookie and token of a page (set-up, not measured).
WITH_CSRF = ("submit", "baseline")
TARGET_HOST = "127.0.0.1"
REQUEST_TIMEOUT_SECONDS = 30
ERROR_SAMPLES = 5

# What static/js/steps.js sends with a step's form, and where the server says which page
# it answers with (surveys/navigation.py; this module imports no Django). Were they to
# drift apart, every step would answer with a redirect and the walk would stop there.
IN_PLACE_HEADERS = {"X-Materia-Navigate": "in-place"}
SHOWN_HEADER = "X-Materia-Location"

CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
GRID_FIELD = re.compile(r'name="(q\d+_r\d+_c\d+)"')
ROW_COMMENT = re.compile(r'<textarea name="(q\d+_r\d+_comment)"')
TEXT_QUESTION = re.compile(r'<textarea name="(q\d+)"')

# What a scripted respondent writes besides the ratings: one topic comment (first topic)
# and one overall comment, so that a complete response is 2 ratings per topic + 2 texts.
TOPIC_COMMENT = "A comment on this topic, written by the benchmark."
OVERALL_COMMENT = "An overall comment, written by the benchmark."


@dataclass(frozen=True)
class Job:
    base_url: str
    mode: str
    concurrency: int
    duration_seconds: float
    max_submissions: int
    max_requests: int
    # submit: resume tokens (each used once); baseline: form bodies; walk and
    # walk-noscript: link paths; api: "<token> <JSON body>" (each used once).
    items: list[str]
    # A page that sets the CSRF cookie and shows a token (a survey landing page).
    csrf_path: str
    seed: int = 1


@dataclass
class Result:
    mode: str
    submissions: int = 0
    requests: int = 0
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    elapsed_seconds: float = 0.0
    # Seconds per request kind ("submit POST", "page GET", ...), successful requests only.
    latencies: dict[str, list[float]] = field(default_factory=dict)
    # Seconds per completed submission (one request, or a whole walk).
    submission_seconds: list[float] = field(default_factory=list)


class UnexpectedReply(Exception):
    pass


@dataclass(frozen=True)
class Reply:
    status: int
    location: str  # a redirect's Location
    body: str
    shown: str = ""  # X-Materia-Location: the URL of the page an in-place step answers with


class Browser:
    """One respondent's browser: its own cookies, one connection per request (gunicorn's
    sync workers close the connection after every response anyway)."""

    def __init__(self, host: str, port: int, timings: dict[str, list[float]]) -> None:
        self.host = host
        self.port = port
        self.cookies: dict[str, str] = {}
        self.timings = timings
        self.requests = 0

    def get(self, path: str, kind: str, expect: int = 200) -> Reply:
        return self._send("GET", path, kind, expect, None)

    def post(
        self,
        path: str,
        kind: str,
        data: dict[str, str] | str,
        expect: int = 302,
        content_type: str = "application/x-www-form-urlencoded",
        headers: dict[str, str] | None = None,
    ) -> Reply:
        body = data if isinstance(data, str) else urlencode(data)
        return self._send("POST", path, kind, expect, body, content_type, headers)

    def csrf_token(self, html: str) -> str:
        match = CSRF_TOKEN.search(html)
        if match is None or "csrftoken" not in self.cookies:
            raise UnexpectedReply("no CSRF token on the page")
        return match.group(1)

    def _send(
        self,
        method: str,
        path: str,
        kind: str,
        expect: int,
        body: str | None,
        content_type: str = "application/x-www-form-urlencoded",
        extra_headers: dict[str, str] | None = None,
    ) -> Reply:
        headers = {"Connection": "close", **(extra_headers or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = content_type
        started = time.perf_counter()
        connection = http.client.HTTPConnection(
            self.host, self.port, timeout=REQUEST_TIMEOUT_SECONDS
        )
        try:
            connection.request(
                method, path, body=None if body is None else body.encode(), headers=headers
            )
            response = connection.getresponse()
            text = response.read().decode("utf-8", errors="replace")
            set_cookies = response.headers.get_all("Set-Cookie") or []
            location = response.headers.get("Location", "")
            shown = response.headers.get(SHOWN_HEADER, "")
        finally:
            connection.close()
        seconds = time.perf_counter() - started
        self.requests += 1
        if response.status != expect:
            raise UnexpectedReply(f"{kind}: {method} {path} -> {response.status}: {text[:300]!r}")
        self.timings[kind].append(seconds)
        for header in set_cookies:
            self._remember(header)
        return Reply(response.status, location, text, shown)

    def _remember(self, header: str) -> None:
        cookie: SimpleCookie = SimpleCookie()
        cookie.load(header)
        for name, morsel in cookie.items():
            if morsel.value == "" or morsel["max-age"] == "0":
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = morsel.value


def page_answers(html: str, rng: random.Random, *, first_grid_page: bool) -> dict[str, str]:
    """What the scripted respondent enters on one questionnaire page: a rating from 1 to
    5 in every grid cell, a comment on the questionnaire's first topic (row 0 of the
    first grid page; rows are numbered per page) and the overall comment. Shared with
    the benchmark's in-process walk, which checks prepared responses against it."""
    data = {name: str(rng.randint(1, 5)) for name in sorted(set(GRID_FIELD.findall(html)))}
    if first_grid_page:
        data.update((name, TOPIC_COMMENT) for name in ROW_COMMENT.findall(html) if "_r0_" in name)
    data.update((name, OVERALL_COMMENT) for name in TEXT_QUESTION.findall(html))
    return data


class Pace:
    """The bounds shared by a phase's threads: whoever asks for the next item after the
    deadline, or once a limit is reached, gets none."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self.lock = threading.Lock()
        self.claimed = 0
        self.requests = 0
        self.started = 0.0
        self.deadline = 0.0

    def start(self) -> None:
        """Start the clock: run by the barrier once every thread is ready, before any of
        them is released, so no thread can claim work against an unset deadline."""
        self.started = time.monotonic()
        self.deadline = self.started + self.job.duration_seconds

    def claim(self) -> str | None:
        with self.lock:
            job = self.job
            if time.monotonic() >= self.deadline or self.requests >= job.max_requests:
                return None
            if self.claimed >= job.max_submissions:
                return None
            if job.mode in ONCE:
                # A response is submitted once: tokens are never reused.
                if self.claimed >= len(job.items):
                    return None
                item = job.items[self.claimed]
            else:
                item = job.items[self.claimed % len(job.items)]
            self.claimed += 1
            return item

    def count_requests(self, number: int) -> None:
        with self.lock:
            self.requests += number


def _walk(browser: Browser, link: str, rng: random.Random, *, in_place: bool) -> None:
    """A whole journey through a group link, landing page to thank-you page. With the
    script (`in_place`), each step is one POST answered with the next page; without it,
    a POST answered with a redirect, then a GET of the page it leads to."""

    def step(url: str, kind: str, data: dict[str, str], html: str) -> tuple[str, str]:
        """Send a step's form from the page `html`; the URL and HTML of the next page."""
        data["csrfmiddlewaretoken"] = browser.csrf_token(html)
        if in_place:
            reply = browser.post(
                url, f"{kind} POST (in place)", data, expect=200, headers=IN_PLACE_HEADERS
            )
            if not reply.shown:
                raise UnexpectedReply(f"{kind}: no {SHOWN_HEADER} on the page answered")
            return reply.shown, reply.body
        reply = browser.post(url, f"{kind} POST", data)
        page = browser.get(reply.location, "page GET")
        # Named once the page is seen: rating grids, the closing comment page, ...
        browser.timings[f"{page_kind(reply.location, page.body)} GET"].append(
            browser.timings["page GET"].pop()
        )
        return reply.location, page.body

    landing = browser.get(link, "landing GET")
    url, html = step(link, "start", {}, landing.body)
    first_grid_page = True
    for _page in range(1000):  # a questionnaire has far fewer pages; never loop forever
        if url.endswith("/review/"):
            break
        kind = page_kind(url, html)
        data = page_answers(html, rng, first_grid_page=first_grid_page)
        first_grid_page = first_grid_page and kind != "grid page"
        data["action"] = "next"
        url, html = step(url, kind, data, html)
    else:
        raise UnexpectedReply("the questionnaire never reached its review page")
    url, _html = step(url, "submit", {}, html)
    if not url.endswith("/thanks/"):
        raise UnexpectedReply(f"submit led to {url!r}")


def page_kind(url: str, html: str) -> str:
    """What a page of the walk is, for the tables: a questionnaire page with a rating
    grid, one without (a closing comment page), the review or the thank-you page."""
    for end, kind in (("/review/", "review"), ("/thanks/", "thanks")):
        if url.endswith(end):
            return kind
    return "grid page" if GRID_FIELD.search(html) is not None else "last page"


def _one_request(browser: Browser, job: Job, item: str, token: str) -> None:
    if job.mode == "api":
        link, body = item.split(" ", 1)
        reply = browser.post(f"/api/respond/{link}/", "api POST", body, 201, "application/json")
        if '"status":"submitted"' not in reply.body.replace(" ", ""):
            raise UnexpectedReply(f"api: not submitted: {reply.body[:300]!r}")
        return
    if job.mode == "submit":
        reply = browser.post(f"/s/r/{item}/review/", "submit POST", {"csrfmiddlewaretoken": token})
    else:
        reply = browser.post(
            "/bench/bare-submit/", "baseline POST", f"{item}&csrfmiddlewaretoken={token}"
        )
    if not reply.location.endswith("/thanks/"):
        raise UnexpectedReply(f"{job.mode} redirected to {reply.location!r}")


def _worker(
    index: int,
    job: Job,
    pace: Pace,
    ready: threading.Barrier,
    result: Result,
    result_lock: threading.Lock,
) -> None:
    host, port = _target(job.base_url)
    timings: dict[str, list[float]] = defaultdict(list)
    rng = random.Random(job.seed * 1000 + index)
    submissions: list[float] = []
    errors: list[str] = []
    token = ""
    cookies: dict[str, str] = {}
    try:
        if job.mode in WITH_CSRF:
            # Submit and baseline requests carry the CSRF cookie and token a browser
            # would have from the page it came from; fetching them is set-up, not measured.
            setup = Browser(host, port, defaultdict(list))
            token = setup.csrf_token(setup.get(job.csrf_path, "csrf GET").body)
            cookies = setup.cookies
        ready.wait(timeout=60)
    except (UnexpectedReply, OSError, http.client.HTTPException) as error:
        ready.abort()  # the phase cannot be measured: release the other threads
        with result_lock:
            result.errors += 1
            result.error_samples.append(f"set-up: {error}")
        return
    except threading.BrokenBarrierError:
        return
    while (item := pace.claim()) is not None:
        browser = Browser(host, port, timings)
        if job.mode in WITH_CSRF:
            browser.cookies = dict(cookies)
        started = time.perf_counter()
        try:
            if job.mode in WALKS:
                _walk(browser, item, rng, in_place=WALKS[job.mode])
            else:
                _one_request(browser, job, item, token)
        except (UnexpectedReply, OSError, http.client.HTTPException) as error:
            errors.append(str(error))
        else:
            submissions.append(time.perf_counter() - started)
        finally:
            pace.count_requests(browser.requests)
    with result_lock:
        result.submissions += len(submissions)
        result.submission_seconds.extend(submissions)
        result.errors += len(errors)
        result.error_samples.extend(errors[: max(0, ERROR_SAMPLES - len(result.error_samples))])
        for kind, values in timings.items():
            if values:
                result.latencies.setdefault(kind, []).extend(values)


def _target(base_url: str) -> tuple[str, int]:
    parts = urlsplit(base_url)
    if parts.scheme != "http" or parts.hostname != TARGET_HOST or parts.port is None:
        raise SystemExit(f"the load generator only targets http://{TARGET_HOST}:<port>")
    return parts.hostname, parts.port


def run(job: Job) -> Result:
    if job.mode not in MODES:
        raise SystemExit(f"unknown mode {job.mode!r}; one of {', '.join(MODES)}")
    if not job.items:
        raise SystemExit("the job has no items")
    _target(job.base_url)
    pace = Pace(job)
    result = Result(mode=job.mode)
    result_lock = threading.Lock()
    # The clock starts once every thread has its CSRF token: set-up is not measured.
    ready = threading.Barrier(job.concurrency, action=pace.start)
    threads = [
        threading.Thread(
            target=_worker, args=(i, job, pace, ready, result, result_lock), daemon=True
        )
        for i in range(job.concurrency)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        # A thread finishes its current submission after the deadline; a walk is a few
        # dozen requests with a timeout each, so this bound is never reached in practice.
        thread.join(timeout=job.duration_seconds + 300)
    result.elapsed_seconds = time.monotonic() - pace.started
    result.requests = pace.requests
    return result


def spawn(job: Job) -> Result:
    """Run `job` in a new load-generator process (the caller's side)."""
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.loadgen"],
        input=json.dumps(asdict(job)),
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parent.parent,
        timeout=job.duration_seconds + 600,
    )
    if completed.returncode != 0:
        raise SystemExit(f"the load generator failed:\n{completed.stderr[-3000:]}")
    return Result(**json.loads(completed.stdout))


def main() -> None:
    job = Job(**json.load(sys.stdin))
    json.dump(asdict(run(job)), sys.stdout)


if __name__ == "__main__":
    main()
