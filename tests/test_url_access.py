"""Every URL of the site, walked from the URL conf, refuses whoever may not use it.

Each pattern (admin and API router included; static and media files left out) gets a
concrete path built from real objects: an open assessment with replies and a scored run,
an export, an upload waiting to be mapped, a report with reader feedback. Every URL not
on `PUBLIC` is requested by an anonymous visitor and by a signed-in user with no role,
with GET and with POST (every URL: a view that takes no POST answers 405), and must be
refused: a redirect to a sign-in page, 401, 403, 404 or 405 — never a page, never a
redirect elsewhere, never an error. Every offence is listed at once.

404 only counts as a refusal because the paths name objects that exist: a superuser
reaches every one of them (`test_every_probe_reaches_its_view`).
"""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.http import HttpResponse
from django.shortcuts import redirect
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.resolvers import RoutePattern

from surveys.mailing import invitation_link
from surveys.models import InvitationKind
from tests.respondents import Walk, respond

pytestmark = pytest.mark.django_db

# Open to anyone, signed in or not. Keep it short: each line is a door left open on purpose.
PUBLIC: dict[str, str] = {
    "home": "the front page: a sign-in button, or for a user without a role a line "
    "asking for one; it shows no data",
    "set_language": "Django's language switch: sets a cookie and redirects back",
    "login": "the sign-in page",
    "logout": "signing out (POST; GET is 405)",
    "admin:login": "the admin's sign-in page",
    "admin:logout": "signing out of the admin; for a non-staff visitor it redirects to "
    "the admin index, which asks for sign-in",
    "surveys:landing": "a respondent's invitation link: its secret token is the credential",
    "surveys:continue": "a respondent's resume link: its secret resume token is the credential",
    "surveys:page": "a questionnaire page, behind the respondent's secret resume token",
    "surveys:review": "the review page, behind the respondent's secret resume token",
    "surveys:later": "'finish later', behind the respondent's secret resume token",
    "surveys:thanks": "the thank-you page, behind the respondent's secret resume token",
    "feedback-form": "the reader feedback form printed in a published report (QR code)",
    "feedback-thanks": "the page after sending reader feedback",
    "api-respond": "a respondent's questionnaire and submission through the API: the "
    "invitation or group-link token in the path is the credential",
    "api-feedback-form": "the reader feedback form through the API, by the report's public code",
}

# Refused to anonymous visitors, open to any signed-in user, role or not.
ANY_SIGNED_IN_USER: dict[str, str] = {
    "api-schema": "the OpenAPI description (paths and fields, no data), for any signed-in "
    "user (SPECTACULAR_SETTINGS SERVE_PERMISSIONS)",
    "api-docs": "Swagger UI over that description",
    "api-token-list": "each user's own API tokens (a token acts with its owner's "
    "permissions, no more)",
    "api-token-detail": "one of the user's own API tokens; another user's is a 404",
    "materiality:account-tokens": "each user's own API tokens (a token acts with its "
    "owner's permissions, no more)",
}

# Files, not views of the application (DEBUG serves media; WhiteNoise serves static).
FILE_SERVERS = {"django.views.static.serve", "django.contrib.staticfiles.views.serve"}

# Values of the string converters that reach a view's real work (else it would 404).
STRING_VALUES: dict[str, dict[str, str]] = {
    "materiality:assessment-status": {"action": "close"},
    "materiality:link-create": {"kind": "open"},
    "materiality:link-qr": {"fmt": "png"},
    "materiality:invitations-mail": {"action": "send"},
    "materiality:run-matrix": {"fmt": "png"},
    "materiality:report-status": {"action": "close"},
    "materiality:report-question": {"action": "up"},
    "materiality:report-qr": {"fmt": "png"},
    "materiality:report-export": {"fmt": "csv"},
    "api-group-link-qr": {"fmt": "png"},
    "api-run-group-scores": {"code": "customers"},
}

# A superuser gets 404 here too, by design: it says nothing about the probe's values.
NOT_FOUND_FOR_EVERYONE = {
    "admin:view_on_site": "no model has get_absolute_url",
    "admin/(?P<url>.*)$": "the admin's catch-all for unknown addresses",
}

REDIRECTS = {301, 302, 303, 307, 308}


# --- Walking the URL conf -------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    chain: tuple[URLResolver | URLPattern, ...]  # the includes, then the pattern

    @property
    def pattern(self) -> URLPattern:
        last = self.chain[-1]
        assert isinstance(last, URLPattern)
        return last

    @property
    def route(self) -> str:
        return "".join(str(part.pattern) for part in self.chain)

    @property
    def label(self) -> str:
        """The pattern's name with its namespaces, or its route when it has none."""
        if self.pattern.name is None:
            return self.route
        spaces = [p.namespace for p in self.chain[:-1] if isinstance(p, URLResolver)]
        return ":".join([*(s for s in spaces if s), self.pattern.name])


def endpoints() -> list[Endpoint]:
    def walk(
        patterns: list[URLResolver | URLPattern], chain: tuple[URLResolver | URLPattern, ...]
    ) -> Iterator[Endpoint]:
        for item in patterns:
            if isinstance(item, URLResolver):
                yield from walk(item.url_patterns, (*chain, item))
            elif item.lookup_str not in FILE_SERVERS:
                yield Endpoint((*chain, item))

    return list(walk(get_resolver().url_patterns, ()))


PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")
GROUP = re.compile(r"\(\?P<(?P<name>\w+)>(?P<body>[^()]*)\)")
ALTERNATIVES = re.compile(r"[\w-]+(\|[\w-]+)*")

Values = Callable[[Endpoint, str], Any]


def _dummy(converter: Any) -> Any:
    """A plausible value of the converter's type, for a parameter no object stands for."""
    name = type(converter).__name__
    return {"IntConverter": 1, "UUIDConverter": uuid.UUID(int=1)}.get(name, "x")


def _fill_route(endpoint: Endpoint, pattern: Any, values: Values) -> str:
    """path(): "<int:pk>/" -> "12/"."""

    def fill(match: re.Match[str]) -> str:
        converter = pattern.converters[match["name"]]
        value = values(endpoint, match["name"])
        return str(converter.to_url(_dummy(converter) if value is None else value))

    return PARAMETER.sub(fill, str(pattern))


def _fill_regex(endpoint: Endpoint, pattern: Any, values: Values) -> str:
    """re_path(): "^topics/(?P<code>[^/.]+)/$" -> "topics/corporate-governance/"."""
    filled: list[str] = []

    def group(match: re.Match[str]) -> str:
        value = values(endpoint, match["name"])
        if value is None:
            body = match["body"]
            value = body.split("|")[0] if ALTERNATIVES.fullmatch(body) else "x"
        filled.append(str(value))
        return f"\0{len(filled) - 1}\0"

    text = GROUP.sub(group, str(pattern)).removeprefix("^").removesuffix("$")
    text = re.sub(r"\\(.)", r"\1", text.replace("/?", "/"))
    assert not re.search(r"[()\[\]?*+^$|]", text), f"cannot fill {endpoint.route}"
    return re.sub("\0(\\d+)\0", lambda m: filled[int(m[1])], text)


def concrete_path(endpoint: Endpoint, values: Values) -> str:
    """A path the endpoint resolves, its parameters filled by `values` (None: a dummy)."""
    path = "/"
    for part in endpoint.chain:
        fill = _fill_route if isinstance(part.pattern, RoutePattern) else _fill_regex
        path += fill(endpoint, part.pattern, values)
    match = resolve(path)  # the probe must reach this very pattern, not a neighbour
    assert match.func is endpoint.pattern.callback, f"{path} resolves to {match.view_name}"
    return path


# --- The objects the paths name -------------------------------------------------------


@dataclass
class World:
    """One of everything a URL can name, made through the site's own pages."""

    values: dict[str, Any]
    forms: dict[str, dict[str, Any]]  # what to POST, for views that 404 without it

    def __call__(self, endpoint: Endpoint, name: str) -> Any:
        """The most specific value: for this pattern, for its first path segment, or
        for any parameter of that name; else an object of the admin page's model."""
        chosen = STRING_VALUES.get(endpoint.label, {})
        if name in chosen:
            return chosen[name]
        section = endpoint.route.split("/")[0]
        for key in (f"{endpoint.label}:{name}", f"{section}/:{name}", name):
            if key in self.values:
                return self.values[key]
        if section == "admin" and name in ("object_id", "id"):
            app_label, model_name = endpoint.route.split("/")[1:3]
            return apps.get_model(app_label, model_name).objects.order_by("pk").first().pk
        return None


def _model(label: str) -> Any:
    # By label: this test reaches the application only through its URLs and its models,
    # so moving modules around inside `materiality` does not touch it.
    return apps.get_model(*label.split("."))


def _redirect_kwargs(response: Any) -> dict[str, Any]:
    assert response.status_code == 302, response.content.decode()[:2000]
    return resolve(urlsplit(response["Location"]).path).kwargs


@pytest.fixture
def world(
    open_assessment: Any, admin_client: Client, django_capture_on_commit_callbacks: Any
) -> World:
    assessment = open_assessment
    site = admin_client
    # Few bootstrap samples: the run only has to exist and be scored.
    _model("materiality.Assessment").objects.filter(pk=assessment.pk).update(
        scoring={"bootstrap_samples": 100}
    )
    with django_capture_on_commit_callbacks(execute=True):
        site.post(reverse("materiality:link-create", args=[assessment.pk, "open"]))
        invitation = assessment.survey.invitations.get(kind=InvitationKind.OPEN)
        link = urlsplit(invitation_link(invitation)).path
        walks: list[Walk] = [
            respond(Client(REMOTE_ADDR=f"203.0.113.{n}"), link) for n in range(1, 4)
        ]
        site.post(reverse("materiality:run-request", args=[assessment.pk]))
    run = _model("materiality.AggregationRun").objects.get(
        assessment=assessment, status="succeeded"
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = site.post(
            reverse("materiality:export-new", args=[assessment.pk]),
            {"kind": "scores-csv", "run": run.pk, "language": "en"},
        )
    job_id = _redirect_kwargs(response)["job_id"]

    upload = io.BytesIO(b"respondent,rating\n1,4\n")
    upload.name = "replies.csv"
    response = site.post(
        reverse("materiality:replies-import", args=[assessment.pk]), {"file": upload}
    )
    import_id = _redirect_kwargs(response)["import_id"]

    response = site.post(
        reverse("materiality:report-new"),
        {"title_zh-hans": "2026 ESG 报告", "title_en": "2026 ESG report", "year": 2026}
        | {"languages": ["zh-hans", "en"]},
    )
    report = _model("materiality.Report").objects.get(pk=_redirect_kwargs(response)["pk"])
    site.post(reverse("materiality:report-status", args=[report.pk, "open"]))
    reader = Client(REMOTE_ADDR="198.51.100.7")
    form = reverse("feedback-form", args=[report.public_code])
    radios = re.findall(r'type="radio" name="(q[\w]+)" value="([^"]+)"', reader.get(form).text)
    comments = report.survey.questions.get(code="comments")
    with django_capture_on_commit_callbacks(execute=True):
        sent = reader.post(form, dict(radios) | {f"q{comments.pk}": "More on climate, please"})
    assert sent.status_code == 302, sent.content.decode()[:2000]
    answer = _model("surveys.Answer").objects.get(question=comments)

    # One record of each double materiality model, for their admin change pages.
    dma = _model("double.DoubleAssessment").objects.create(
        name={"en": "DMA"}, period_start="2025-01-01", period_end="2025-12-31"
    )
    version = dma.methodology_versions.create(number=1, settings={})
    iro = dma.iros.create(
        reference="IRO-001",
        matter=_model("double.Matter").objects.order_by("pk").first(),
        kind="risk",
        title={"en": "Risk"},
        source="other",
    )
    # The administrator sits on the panel: the rating pages exist only for a rater.
    rater = dma.raters.create(
        name="Rater",
        role="internal_expert",
        user=_model("auth.User").objects.get(is_superuser=True),
    )
    iro.ratings.create(
        rater=rater, magnitude=3, likelihood=3, rationale="r", methodology_version=version
    )

    personal = site.post(
        f"/api/assessments/{assessment.pk}/invitations/",
        {"invitees": [{"email": "probe@example.com", "group": "customers"}]},
        content_type="application/json",
    ).json()["invitations"][0]["id"]
    response_pk = _model("surveys.Response").objects.filter(survey=assessment.survey).first().pk
    admin_token = (
        _model("materiality.ApiToken")
        .objects.create(
            user=_model("auth.User").objects.get(is_superuser=True),
            name="probe",
            prefix="mat_probe",
            digest="0" * 64,
        )
        .pk
    )
    api_values = {
        **{
            f"api-assessment-{name}:pk": assessment.pk
            for name in ("detail", "open", "close", "method", "runs", "audit", "exports", "imports")
        },
        **{
            f"api-report-{name}:pk": report.pk
            for name in ("detail", "open", "close", "summary", "export")
        },
        **{
            f"api-group-link-{name}:pk": invitation.pk
            for name in ("detail", "qr", "revoke", "rotate")
        },
        "api-invitation-resend:pk": personal,
        "api-invitation-revoke:pk": personal,
        **{
            f"api-dma-{name}:pk": dma.pk
            for name in ("detail", "iros", "iro", "iro-ratings", "matters", "ratings", "results")
        },
        "api-response-detail:pk": response_pk,
        "api-token-detail:pk": admin_token,
        "api-feedback-form:code": report.public_code,
        "assessment_pk": assessment.pk,
    }

    return World(
        {
            **api_values,
            "assessments/:pk": assessment.pk,
            "reports/:pk": report.pk,
            "dma/:pk": dma.pk,
            "iro_id": iro.pk,
            "matter_id": iro.matter_id,
            "rater_id": rater.pk,
            "run_id": run.pk,
            "job_id": job_id,
            "invitation_pk": invitation.pk,
            "import_id": import_id,
            "question_pk": report.survey.questions.order_by("order").first().pk,
            "answer_pk": answer.pk,
            "token": link.split("/")[3],
            "resume": walks[0].resume,
            "number": 1,
            "f/:code": report.public_code,
            "topic-detail:code": "corporate-governance",
            "stakeholder-group-detail:code": "customers",
            "format": "json",
            "admin:view_on_site:content_type_id": ContentType.objects.get_for_model(run).pk,
            "admin:view_on_site:object_id": run.pk,
            "app_label": "materiality",
            # The administrator's own token (another user's would be a 404, by design).
            "account/:pk": admin_token,
        },
        forms={
            "materiality:export-new": {"kind": "scores-csv", "run": run.pk, "language": "en"},
        },
    )


# --- Probing --------------------------------------------------------------------------


@dataclass(frozen=True)
class Offence:
    label: str
    path: str
    role: str
    method: str
    status: int
    detail: str

    def __str__(self) -> str:
        detail = f" {self.detail}" if self.detail else ""
        return f"{self.label}  {self.method} {self.path}  as {self.role}: {self.status}{detail}"


def _refused(response: Any) -> bool:
    if response.status_code in (401, 403, 404, 405):
        return True
    if response.status_code in REDIRECTS:
        target = urlsplit(response["Location"]).path
        return target in (reverse("login"), reverse("admin:login"))
    return False


def _detail(response: Any) -> str:
    if response.status_code in REDIRECTS:
        return f"-> {response['Location']}"
    return ""


def probe(targets: list[Endpoint], world: World, clients: dict[str, Client]) -> list[Offence]:
    offences = []
    for endpoint in targets:
        path = concrete_path(endpoint, world)
        for role, client in clients.items():
            if role != "anonymous" and endpoint.label in ANY_SIGNED_IN_USER:
                continue
            for method in ("GET", "POST"):
                data = world.forms.get(endpoint.label, {}) if method == "POST" else {}
                response = getattr(client, method.lower())(path, data)
                if not _refused(response):
                    offences.append(
                        Offence(
                            endpoint.label,
                            path,
                            role,
                            method,
                            response.status_code,
                            _detail(response),
                        )
                    )
    return offences


def visitors(outsider_user: Any) -> dict[str, Client]:
    # A 500 is an answer to report, not an exception that stops the walk.
    outsider = Client(raise_request_exception=False)
    outsider.force_login(outsider_user)
    return {"anonymous": Client(raise_request_exception=False), "user without a role": outsider}


def guarded() -> list[Endpoint]:
    return [e for e in endpoints() if e.label not in PUBLIC]


# --- The tests ------------------------------------------------------------------------


def test_every_url_refuses_anonymous_visitors_and_users_without_a_role(
    world: World, outsider_user: Any
) -> None:
    offences = probe(guarded(), world, visitors(outsider_user))
    assert not offences, (
        "Served to someone who may not use it (anonymous, or signed in without a role); "
        "protect the view, or add it to PUBLIC with the reason:\n"
        + "\n".join(f"  {offence}" for offence in offences)
    )


def test_the_walk_reaches_every_part_of_the_url_conf() -> None:
    found = endpoints()
    labels = {endpoint.label for endpoint in found}
    # 104 patterns today, media files left out: a broken walk must not pass for empty.
    assert len(found) >= 100, sorted(labels)
    for part in ("admin:", "surveys:", "materiality:", "topic-", "stakeholder-group-"):
        assert any(label.startswith(part) for label in labels), part
    assert "materiality:replies-import" in labels  # patterns a views module contributes
    assert not any(endpoint.pattern.lookup_str in FILE_SERVERS for endpoint in found)


def test_the_lists_of_open_urls_name_only_urls_that_exist() -> None:
    labels = {endpoint.label for endpoint in endpoints()}
    listed = {*PUBLIC, *ANY_SIGNED_IN_USER, *STRING_VALUES, *NOT_FOUND_FOR_EVERYONE}
    assert listed <= labels, f"stale entries: {sorted(listed - labels)}"
    assert not set(PUBLIC) & set(ANY_SIGNED_IN_USER)


def test_every_probe_reaches_its_view(world: World, admin_user: Any) -> None:
    """A superuser may do anything: a 404 here means the probe names no real object, and
    a 404 to the visitors above would prove nothing."""
    site = Client(raise_request_exception=False)
    site.force_login(admin_user)
    answers = {}
    post_only = []
    for endpoint in guarded():
        path = concrete_path(endpoint, world)
        answers[endpoint.label, path] = response = site.get(path)
        if response.status_code == 405:
            post_only.append((endpoint, path))
    # POSTs last, as they change things (cancelling an import deletes the upload).
    for endpoint, path in post_only:
        answers[endpoint.label, path] = site.post(path, world.forms.get(endpoint.label, {}))
    missing = [
        f"  {label}  {path}: {response.status_code}"
        for (label, path), response in answers.items()
        if response.status_code >= 500
        or (response.status_code == 404) != (label in NOT_FOUND_FOR_EVERYONE)
    ]
    assert not missing, "Probes that do not reach a real object:\n" + "\n".join(missing)


def _open_view(request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("the scores, for anyone")


def _redirecting_view(request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
    return redirect("home")  # not a sign-in page: the work was done


def _broken_view(request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
    raise RuntimeError("boom")


def test_an_unprotected_view_is_caught(
    world: World, outsider_user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The views behind three patterns are swapped for ones that check nothing, for
    this test only: every request to them is reported, all at once."""
    swapped = {
        "materiality:results": _open_view,
        "materiality:run-request": _redirecting_view,
        "topic-list": _broken_view,
    }
    targets = []
    for endpoint in guarded():
        if endpoint.label in swapped and endpoint.label not in {e.label for e in targets}:
            monkeypatch.setattr(endpoint.pattern, "callback", swapped[endpoint.label])
            targets.append(endpoint)
    paths = {endpoint.label: concrete_path(endpoint, world) for endpoint in targets}
    offences = probe(targets, world, visitors(outsider_user))
    status = {"materiality:results": 200, "materiality:run-request": 302, "topic-list": 500}
    assert sorted((o.label, o.path, o.role, o.method, o.status) for o in offences) == sorted(
        (label, paths[label], role, method, status[label])
        for label in swapped
        for role in ("anonymous", "user without a role")
        for method in ("GET", "POST")
    )
    lines = set(map(str, offences))
    assert f"materiality:results  GET {paths['materiality:results']}  as anonymous: 200" in lines
    run_request = paths["materiality:run-request"]
    assert f"materiality:run-request  POST {run_request}  as user without a role: 302 -> /" in lines
