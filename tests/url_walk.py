"""The URL conf, walked: every pattern of the site (admin and API router included; static
and media files left out), with a concrete path built from real objects for each.

`World` holds one of everything a URL can name, made through the site's own pages: an
open assessment with replies and a scored run, an export, an upload waiting to be
mapped, a report with reader feedback, a double materiality assessment with a rating.
The access test (tests/test_url_access.py) and the browser walk of every page
(tests/browser/test_every_page.py) both start from here, so a new URL is probed and
walked without being listed anywhere.
"""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.resolvers import RoutePattern

from surveys.mailing import invitation_link
from surveys.models import InvitationKind
from tests.respondents import Walk, respond

# Files, not views of the application (DEBUG serves media; WhiteNoise serves static).
FILE_SERVERS = {"django.views.static.serve", "django.contrib.staticfiles.views.serve"}

# Values of the string converters that reach a view's real work (else it would 404).
STRING_VALUES: dict[str, dict[str, str]] = {
    "materiality:assessment-status": {"action": "close"},
    "materiality:link-create": {"kind": "open"},
    "materiality:link-qr": {"fmt": "png"},
    "materiality:invitations-mail": {"action": "send"},
    "materiality:run-matrix": {"fmt": "png"},
    "double:matrix": {"fmt": "png"},
    "double:outputs-file": {"document": "esrs", "fmt": "xlsx"},
    "double:outputs-text": {"which": "e1"},
    "materiality:report-status": {"action": "close"},
    "materiality:report-question": {"action": "up"},
    "materiality:report-qr": {"fmt": "png"},
    "materiality:report-export": {"fmt": "csv"},
    "api-group-link-qr": {"fmt": "png"},
    "api-run-group-scores": {"code": "customers"},
}

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


def world_build(*, assessment: Any, site: Client, django_capture_on_commit_callbacks: Any) -> World:
    """Makes one of everything a URL can name for the open `assessment`, through the
    site's own pages as `site` (a superuser's client); `world` in tests/conftest.py."""
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
    # The review's records (append-only; their admin pages only show them).
    _model("double.MatterDecision").objects.create(dma=dma, matter=iro.matter, note="n")
    _model("double.DmaApproval").objects.create(dma=dma, methodology_number=1, results={})
    # The outputs' report texts (read-only in the admin; written on the outputs page).
    _model("double.DisclosureText").objects.create(dma=dma, key="e1-explanation")
    _model("double.TopicResult").objects.create(
        dma=dma,
        matter=_model("double.Matter").objects.get(pack__code="cn-exchanges-2024", code="waste"),
        outcome="not_material",
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
