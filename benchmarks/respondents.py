"""The benchmark's respondents: open assessments with their group links, complete
responses prepared in bulk, the bare baseline's request bodies, and a walk through the
questionnaire in process (Django's test client) that counts each request's queries.

Prepared responses hold exactly the rows the page saves of a real walk leave behind,
with the survey's script or without it (`check_same_rows` proves it on every run), so a
submit POST of a prepared response does the same work as the submit POST at the end of
a walk.
"""

from __future__ import annotations

import random
import time
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import date
from itertools import cycle
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from benchmarks.loadgen import (
    CSRF_TOKEN,
    OVERALL_COMMENT,
    TOPIC_COMMENT,
    page_answers,
    page_kind,
)
from materiality.models import Assessment, Dimension, StakeholderGroup, Topic
from materiality.questionnaire import IMPORTANCE_QUESTION, OVERALL_COMMENT_QUESTION
from materiality.services import (
    AssessmentInput,
    assessment_create,
    assessment_open,
    group_link_create,
)
from surveys.models import Answer, Question, Response, Survey
from surveys.navigation import IN_PLACE, LOCATION_HEADER, NAVIGATE_HEADER
from surveys.selectors import questionnaire_load
from surveys.services import AnswerInput
from surveys.tokens import new_token, token_digest

if TYPE_CHECKING:
    # What Django's test client returns (an HttpResponse with test attributes).
    from django.test.client import _MonkeyPatchedWSGIResponse as HttpResponse

HOST = "127.0.0.1"
BARE_PATH = "/bench/bare-submit/"
FORM = "application/x-www-form-urlencoded"
TRANSACTION_CONTROL = frozenset({"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"})
# Every benchmark respondent comes from 127.0.0.1, and shared links allow 30 responses
# per address and day by default. A limit this high never stops the run but keeps the
# counter (one cache round-trip when a response starts) in the measured path.
RATE_LIMIT = 1_000_000
BULK_BATCH = 5000

RowShape = tuple[str, str, str, bool, bool]  # question code, row, column, rated, has text


@dataclass(frozen=True)
class Link:
    path: str  # /s/i/<token>/
    group: str
    internal: bool


@dataclass(frozen=True)
class BenchSurvey:
    assessment: Assessment
    links: list[Link]
    grid: Question
    rows: list[str]
    columns: list[str]
    text: Question

    @property
    def survey(self) -> Survey:
        return self.assessment.survey


def topics(count: int) -> list[Topic]:
    """The 17 seed topics, then made-up ones (unique codes) up to `count`."""
    for number in range(1, count - Topic.objects.active().count() + 1):
        Topic.objects.get_or_create(
            code=f"bench-topic-{number:02d}",
            defaults={
                "name": {"zh-hans": f"基准议题 {number}", "en": f"Benchmark topic {number}"},
                "description": {
                    "zh-hans": "用于性能基准测试的议题，描述长度与种子议题相近。",
                    "en": "A topic made up for the benchmark, described at seed-topic length.",
                },
                "dimension": Dimension.SOCIAL,
                "order": 1000 + number,
            },
        )
    return list(Topic.objects.active()[:count])


def bench_survey(topic_count: int) -> BenchSurvey:
    """An open assessment over `topic_count` topics and the 8 seed groups, one group link
    per group, as the ESG team would set it up (tests/conftest.py: `assessment`)."""
    groups = list(StakeholderGroup.objects.active())
    assessment = assessment_create(
        data=AssessmentInput(
            title={
                "zh-hans": f"基准评估（{topic_count} 个议题）",
                "en": f"Benchmark, {topic_count} topics",
            },
            period_start=date(2026, 1, 1),
            period_end=date(2026, 12, 31),
            topics=topics(topic_count),
            groups=groups,
        )
    )
    assessment_open(assessment=assessment)
    Survey.objects.filter(pk=assessment.survey_id).update(group_link_limit_per_address=RATE_LIMIT)
    links = [
        Link(f"/s/i/{group_link_create(assessment=assessment, group=g).token}/", g.code, g.internal)
        for g in groups
    ]
    questionnaire = questionnaire_load(assessment.survey)
    by_code = {q.code: q for q in questionnaire.questions}
    grid, text = by_code[IMPORTANCE_QUESTION], by_code[OVERALL_COMMENT_QUESTION]
    return BenchSurvey(
        assessment=assessment,
        links=links,
        grid=grid,
        rows=[o.code for o in questionnaire.rows(grid)],
        columns=[o.code for o in questionnaire.columns(grid)],
        text=text,
    )


def complete_answers(bench: BenchSurvey, rng: random.Random) -> list[AnswerInput]:
    """A complete response as the scripted respondent (loadgen.page_answers) gives it:
    every topic rated on both axes, a comment on the first topic, an overall comment."""
    answers = [
        AnswerInput(bench.grid.pk, row, column, value=rng.randint(1, 5))
        for row in bench.rows
        for column in bench.columns
    ]
    answers.append(AnswerInput(bench.grid.pk, bench.rows[0], "", text=TOPIC_COMMENT))
    answers.append(AnswerInput(bench.text.pk, text=OVERALL_COMMENT))
    return answers


def prepare_responses(
    bench: BenchSurvey, count: int, rng: random.Random, *, answered: bool = True
) -> list[str]:
    """`count` complete responses in progress, waiting for their submit (or, with
    `answered=False`, just started); returns their resume tokens. Bulk inserts stand in
    for the page saves, which would take minutes for thousands of responses and leave
    the same rows."""
    tokens = [new_token() for _ in range(count)]
    links = cycle(bench.links)
    responses = Response.objects.bulk_create(
        (
            Response(
                survey=bench.survey,
                resume_hash=token_digest(token),
                language=settings.LANGUAGE_CODE,
                respondent_group=link.group,
                respondent_internal=link.internal,
                respondent_fixed=True,
            )
            for token, link in zip(tokens, links, strict=False)
        ),
        batch_size=BULK_BATCH,
    )
    Answer.objects.bulk_create(
        (
            Answer(
                response=response,
                question_id=answer.question_id,
                row_code=answer.row_code,
                column_code=answer.column_code,
                value=answer.value,
                dont_know=answer.dont_know,
                text=answer.text,
            )
            for response in (responses if answered else [])
            for answer in complete_answers(bench, rng)
        ),
        batch_size=BULK_BATCH,
    )
    return tokens


def baseline_bodies(bench: BenchSurvey, count: int, rng: random.Random) -> list[str]:
    """Form bodies for the bare view (benchmarks/views.py), each a complete response."""
    bodies = []
    for _number, link in zip(range(count), cycle(bench.links), strict=False):
        fields = {
            "survey": str(bench.survey.pk),
            "group": link.group,
            "internal": "1" if link.internal else "0",
            "language": settings.LANGUAGE_CODE,
        }
        for answer in complete_answers(bench, rng):
            if answer.text:
                fields[f"t:{answer.question_id}:{answer.row_code}"] = answer.text
            else:
                fields[f"r:{answer.question_id}:{answer.row_code}:{answer.column_code}"] = str(
                    answer.value
                )
        bodies.append(urlencode(fields))
    return bodies


def row_shapes(response_id: int) -> list[RowShape]:
    """A response's answer rows without their values: which cells, rated or written."""
    return sorted(
        (code, row, column, value is not None, bool(text))
        for code, row, column, value, text in Answer.objects.filter(
            response_id=response_id
        ).values_list("question__code", "row_code", "column_code", "value", "text")
    )


# --- A walk in process ----------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    kind: str
    queries: int  # statements that read or write data
    seconds: float
    transaction: int = 0  # BEGIN, COMMIT, ROLLBACK, SAVEPOINT, ... (Django 5 logs them too)
    sql: tuple[str, ...] = ()


@dataclass
class Walk:
    steps: list[Step] = field(default_factory=list)
    resume: str = ""


class _Browser:
    """Django's test client with CSRF checks on, as the real server has them; records
    every request's time and, when asked, its queries."""

    def __init__(self, walk: Walk, *, count_queries: bool) -> None:
        self.client = Client(enforce_csrf_checks=True, HTTP_HOST=HOST)
        self.walk = walk
        self.count_queries = count_queries

    def request(
        self,
        kind: str,
        path: str,
        data: dict[str, str] | str | None = None,
        expect: int = 200,
        *,
        in_place: bool = False,
    ) -> HttpResponse:
        queries: AbstractContextManager[object]
        queries = CaptureQueriesContext(connection) if self.count_queries else nullcontext()
        with queries as captured:
            started = time.perf_counter()
            if data is None:
                response = self.client.get(path)
            elif isinstance(data, str):  # a form body sent as it is, like the load generator
                response = self.client.generic("POST", path, data, content_type=FORM)
            else:  # URL-encoded, as a browser sends a form (and the script, a step's form)
                headers = {NAVIGATE_HEADER: IN_PLACE} if in_place else None
                response = self.client.generic(
                    "POST", path, urlencode(data), content_type=FORM, headers=headers
                )
            seconds = time.perf_counter() - started
        if response.status_code != expect:
            raise SystemExit(f"{kind} {path}: {response.status_code} {response.content[:500]!r}")
        statements = (
            [q["sql"] for q in captured.captured_queries]
            if isinstance(captured, CaptureQueriesContext)
            else []
        )
        control = [sql for sql in statements if sql.split(" ", 1)[0] in TRANSACTION_CONTROL]
        self.walk.steps.append(
            Step(
                kind,
                queries=len(statements) - len(control),
                seconds=seconds,
                transaction=len(control),
                sql=tuple(statements),
            )
        )
        return response

    @staticmethod
    def token(response: HttpResponse) -> str:
        match = CSRF_TOKEN.search(response.content.decode())
        if match is None:
            raise SystemExit("no CSRF token on the page")
        return match.group(1)


def walk(
    link: Link,
    rng: random.Random,
    *,
    in_place: bool,
    count_queries: bool = False,
    submit: bool = True,
) -> Walk:
    """One respondent's whole journey through a group link, request by request: the
    same requests, in the same order, as the load generator's walk (loadgen._walk), with
    the survey's script (`in_place`: one POST per step, answered with the next page) or
    without it (a POST answered with a redirect, then a GET of the page)."""
    result = Walk()
    browser = _Browser(result, count_queries=count_queries)

    def step(
        url: str, kind: str, data: dict[str, str], page: HttpResponse
    ) -> tuple[str, HttpResponse]:
        """Send a step's form from `page`; the URL of the next page, and the page."""
        data["csrfmiddlewaretoken"] = browser.token(page)
        if in_place:
            shown = browser.request(f"{kind} POST (in place)", url, data, in_place=True)
            if not shown.has_header(LOCATION_HEADER):
                raise SystemExit(f"{kind} POST (in place) {url}: no {LOCATION_HEADER}")
            return shown[LOCATION_HEADER], shown
        location = browser.request(f"{kind} POST", url, data, expect=302)["Location"]
        page = browser.request("page GET", location)
        # Named once the page is seen: rating grids, the closing comment page, ...
        kind = page_kind(location, page.content.decode())
        result.steps[-1] = replace(result.steps[-1], kind=f"{kind} GET")
        return location, page

    landing = browser.request("landing GET", link.path)
    url, page = step(link.path, "start", {}, landing)
    result.resume = url.split("/")[3]
    first_grid_page = True
    while not url.endswith("/review/"):
        html = page.content.decode()
        kind = page_kind(url, html)
        data = page_answers(html, rng, first_grid_page=first_grid_page)
        first_grid_page = first_grid_page and kind != "grid page"
        data["action"] = "next"
        url, page = step(url, kind, data, page)
    if submit:
        url, _page = step(url, "submit", {}, page)
        if not url.endswith("/thanks/"):
            raise SystemExit(f"submit led to {url!r}")
    return result


class Poster:
    """Repeated single POSTs in process (submits, page saves, baseline inserts), with the
    CSRF cookie and token of one landing page, as the load generator sends them."""

    def __init__(self, link: Link, *, count_queries: bool = False) -> None:
        self.walk = Walk()
        self.browser = _Browser(self.walk, count_queries=False)
        self.token = self.browser.token(self.browser.request("csrf GET", link.path))
        self.browser.count_queries = count_queries

    def submit(self, resume: str) -> Step:
        self.browser.request(
            "submit POST",
            f"/s/r/{resume}/review/",
            {"csrfmiddlewaretoken": self.token},
            expect=302,
        )
        return self.walk.steps[-1]

    def save_page(self, resume: str, data: dict[str, str]) -> Step:
        self.browser.request(
            "grid page POST",
            f"/s/r/{resume}/p/1/",
            {**data, "csrfmiddlewaretoken": self.token, "action": "next"},
            expect=302,
        )
        return self.walk.steps[-1]

    def baseline(self, body: str) -> Step:
        self.browser.request(
            "baseline POST",
            BARE_PATH,
            f"{body}&csrfmiddlewaretoken={self.token}",
            expect=302,
        )
        return self.walk.steps[-1]


def first_page_answers(bench: BenchSurvey, rng: random.Random) -> dict[str, str]:
    """The form data of the first grid page, as the scripted respondent fills it."""
    client = Client(HTTP_HOST=HOST)
    [token] = prepare_responses(bench, 1, rng)
    html = client.get(f"/s/r/{token}/p/1/").content.decode()
    return page_answers(html, rng, first_grid_page=True)


def check_same_rows(bench: BenchSurvey, rng: random.Random) -> int:
    """Prove that a prepared response and a bare-baseline response hold the same rows as
    a response whose answers were saved page by page through HTTP, with the survey's
    script and without it; returns the number of rows per response."""

    def saved(resume: str) -> list[RowShape]:
        return row_shapes(Response.objects.get(resume_hash=token_digest(resume)).pk)

    scripted, noscript = (
        saved(walk(bench.links[0], rng, in_place=in_place, submit=False).resume)
        for in_place in (True, False)
    )
    [prepared_token] = prepare_responses(bench, 1, rng)
    prepared = saved(prepared_token)
    before = Response.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    Poster(bench.links[0]).baseline(baseline_bodies(bench, 1, rng)[0])
    bare = row_shapes(Response.objects.get(pk__gt=before).pk)
    if not scripted == noscript == prepared == bare:
        raise SystemExit(
            "the rows of walks with and without the script, of a prepared response and of "
            "a baseline response differ:\n"
            f"walk with the script: {scripted}\nwalk without it:      {noscript}\n"
            f"prepared:             {prepared}\nbaseline:             {bare}"
        )
    return len(bare)
