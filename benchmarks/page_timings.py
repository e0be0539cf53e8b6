"""Server time of the actions issue #13 said kept the browser waiting, with the demo data
on PostgreSQL, each beside baselines measured in the same run.

In process, through Django's test client (DEBUG off), as a logged-in member of both
roles. The broker is a real Redis with no worker, as on a site whose worker is busy: a
request's time is its own, never a task's. "Before" repeats the same request the way the
code before this change served it (in the same process, the same data):

- the results page, with the run's stored sensitivity taken away (re-scored on request)
  and its cached tables forgotten (rendered on request);
- a matrix file, with the file taken away from storage (rendered on request);
- confirming, with Celery in eager mode (the embedded default, and what the issue timed):
  the freezing runs inside the request, the run's files all missing as before;
- asking for the evidence pack (PDF), eager as well: the file built inside the request.

The results page is also timed at the first visit of a run whose task has finished
(sensitivity stored, tables not yet cached). The cache is Redis, as in production.

The trivial baseline is the home page. Bounded counts, rounds alternating before/after.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shlex
import shutil
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import django

from benchmarks.database import database_recreate
from benchmarks.report import docs_replace, facts_table, machine_facts, markdown_table, say
from benchmarks.server import BASE_DIR

MEDIA = BASE_DIR / "var" / "benchmarks" / "page-timings-media"


@dataclass(frozen=True)
class Timing:
    label: str
    seconds: list[float]

    @property
    def median_ms(self) -> float:
        return statistics.median(self.seconds) * 1000

    @property
    def range_ms(self) -> str:
        return f"{min(self.seconds) * 1000:.1f}–{max(self.seconds) * 1000:.1f}"


def timed(action: Callable[[], object], prepare: Callable[[], object] = lambda: None) -> float:
    prepare()
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database", default="postgres://postgres@127.0.0.1:5432/materia_bench_pages"
    )
    parser.add_argument("--broker-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument(
        "--cache-url",
        default="redis://127.0.0.1:6379/14",
        help="the cache (Redis, as in production; keys under their own prefix)",
    )
    parser.add_argument("--rounds", type=int, default=20, help="fast requests (5 to 100)")
    parser.add_argument("--slow-rounds", type=int, default=3, help="eager requests (1 to 10)")
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args(argv)
    args.rounds = min(max(args.rounds, 5), 100)
    args.slow_rounds = min(max(args.slow_rounds, 1), 10)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)
    command = "DEBUG=true .venv/bin/python -m benchmarks.page_timings " + shlex.join(
        sys.argv[1:] if argv is None else argv
    )
    say(f"creating the database afresh: {args.database}")
    database_recreate(args.database)
    shutil.rmtree(MEDIA, ignore_errors=True)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="testserver",
        DATABASE_URL=args.database,
        CELERY_BROKER_URL=args.broker_url,
        REDIS_URL=args.cache_url,
        CACHE_KEY_PREFIX=f"bench-pages-{secrets.token_hex(4)}",
        MEDIA_ROOT=str(MEDIA),
        SECURE_SSL_REDIRECT="false",
        LOG_LEVEL="ERROR",
    )
    for name in ("CELERY_RESULT_BACKEND", "EMAIL_HOST"):
        os.environ.pop(name, None)
    django.setup()
    from celery import current_app
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.core.files.storage import default_storage
    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse

    from benchmarks.broker import broker_check_unused, broker_purge
    from materiality.models import AggregationRun, Assessment, AuditEntry, ReviewStatus
    from materiality.reporting.matrix_files import MatrixView, standard_files
    from materiality.reporting.run_sections import sections_key
    from materiality.runs.derived import run_precompute
    from materiality.runs.selectors import run_scores

    # No manifest without collectstatic: the pages' {% static %} resolve plainly.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    broker_check_unused()
    broker_purge()
    call_command("migrate", interactive=False, verbosity=0)
    say("loading the demo (manage.py demo)")
    call_command("demo", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    facts = machine_facts()
    assessment = Assessment.objects.exclude(previous=None).get()
    run = AggregationRun.objects.filter(assessment=assessment, status="succeeded").latest("pk")
    say(f"precomputing run {run.pk} as its task does")
    precompute_s = timed(lambda: run_precompute(run.pk))
    run.refresh_from_db()
    stored_sensitivity = run.sensitivity

    users = get_user_model()
    submitter = users.objects.create_superuser("bench-esg", "esg@example.org", "x")
    decider = users.objects.create_superuser("bench-decider", "decider@example.org", "x")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(decider)
    results = reverse("materiality:results", args=[assessment.pk]) + f"?run={run.pk}"
    png = reverse("materiality:run-matrix", args=[assessment.pk, run.pk, "png"]) + "?lang=en"
    png_path = MatrixView(language="en").storage_path(run, "png")
    confirm = reverse("materiality:run-confirm", args=[assessment.pk, run.pk])
    export = reverse("materiality:export-new", args=[assessment.pk])
    export_body = {"kind": "evidence-pdf", "run": str(run.pk), "language": "en"}

    def ok(response: object, status: int = 200) -> None:
        assert response.status_code == status, response  # type: ignore[attr-defined]

    def eager(on: bool) -> None:
        current_app.conf.task_always_eager = on

    def awaiting_confirmation(keep_files: bool) -> None:
        AggregationRun.objects.filter(pk=run.pk).update(
            review=ReviewStatus.SUBMITTED, frozen_at=None
        )
        Assessment.objects.filter(pk=assessment.pk).update(published_run=None)
        AuditEntry.objects.filter(run=run, action="confirmed").delete()
        if not AuditEntry.objects.filter(run=run, action="submitted").exists():
            AuditEntry.objects.create(
                assessment=assessment, run=run, actor=submitter, action="submitted"
            )
        for view, fmt in standard_files(run):
            if keep_files and view.show_ci is False:
                continue
            default_storage.delete(view.storage_path(run, fmt))

    def sensitivity(stored: bool, cached: bool = True) -> None:
        AggregationRun.objects.filter(pk=run.pk).update(
            sensitivity=stored_sensitivity if stored else None
        )
        if not cached:  # the page's key for this state of the run, in English
            now = AggregationRun.objects.get(pk=run.pk)
            groups = list(assessment.groups.all())
            cache.delete(sections_key(now, run_scores(now), groups, "en"))

    for _ in range(2):  # warm-up: caches, fonts, translations
        ok(client.get("/"))
        ok(client.get(results))
        ok(client.get(png))
    fast: dict[str, list[float]] = {
        key: []
        for key in (
            "home",
            "results before",
            "results first",
            "results",
            "png before",
            "png",
            "confirm",
            "export",
        )
    }
    say(f"{args.rounds} rounds of the fast requests")
    eager(False)
    for number in range(args.rounds):
        order = ["home", "results", "png", "confirm", "export"]
        for kind in order if number % 2 == 0 else list(reversed(order)):
            if kind == "home":
                fast["home"].append(timed(lambda: ok(client.get("/"))))
            elif kind == "results":
                fast["results before"].append(
                    timed(lambda: ok(client.get(results)), lambda: sensitivity(False, False))
                )
                fast["results first"].append(
                    timed(lambda: ok(client.get(results)), lambda: sensitivity(True, False))
                )
                fast["results"].append(
                    timed(lambda: ok(client.get(results)), lambda: sensitivity(True))
                )
            elif kind == "png":
                fast["png before"].append(
                    timed(lambda: ok(client.get(png)), lambda: default_storage.delete(png_path))
                )
                fast["png"].append(timed(lambda: ok(client.get(png))))
            elif kind == "confirm":
                fast["confirm"].append(
                    timed(
                        lambda: ok(client.post(confirm), 302),
                        lambda: awaiting_confirmation(keep_files=True),
                    )
                )
            else:
                fast["export"].append(timed(lambda: ok(client.post(export, export_body), 302)))
    say(f"purged {broker_purge()} task messages")
    slow: dict[str, list[float]] = {"confirm eager before": [], "confirm eager": []}
    slow["export eager"] = []
    say(f"{args.slow_rounds} rounds of the eager requests")
    eager(True)
    try:
        for _number in range(args.slow_rounds):
            slow["confirm eager before"].append(
                timed(
                    lambda: ok(client.post(confirm), 302),
                    lambda: awaiting_confirmation(keep_files=False),
                )
            )
            slow["confirm eager"].append(
                timed(
                    lambda: ok(client.post(confirm), 302),
                    lambda: awaiting_confirmation(keep_files=True),
                )
            )
            slow["export eager"].append(timed(lambda: ok(client.post(export, export_body), 302)))
    finally:
        eager(False)
    facts["load average at end (1/5/15 min)"] = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    report = _report(command, facts, fast, slow, precompute_s, args)
    print(report)
    if args.write_docs:
        docs_replace("page-timings", report)
        say("docs/benchmarks.md updated")
    return 0


def _report(
    command: str,
    facts: dict[str, str],
    fast: dict[str, list[float]],
    slow: dict[str, list[float]],
    precompute_s: float,
    args: argparse.Namespace,
) -> str:
    med = {key: statistics.median(values) * 1000 for key, values in {**fast, **slow}.items()}
    home = med["home"]

    def row(label: str, key: str, before: str | None, target: str) -> list[str]:
        values = {**fast, **slow}[key]
        return [
            label,
            f"{med[key]:.1f}",
            f"{min(values) * 1000:.1f}–{max(values) * 1000:.1f}",
            f"{med[key] / home:.1f}×",
            f"{med[before]:.1f}" if before else "—",
            f"**{med[key] / med[before]:.3f}×**" if before else "—",
            target,
        ]

    rows = [
        row("home page (trivial baseline)", "home", None, "—"),
        row("results page", "results", "results before", "≤ 150"),
        row("results page, first visit of the run", "results first", "results before", "—"),
        row("matrix PNG (English)", "png", "png before", "≤ 50"),
        row("confirm (POST), broker", "confirm", "confirm eager before", "≤ 150"),
        row("export: evidence PDF (POST), broker", "export", "export eager", "≤ 150"),
        row(
            "confirm (POST), eager, after this change", "confirm eager", "confirm eager before", "—"
        ),
    ]
    return "\n".join(
        [
            "### Results",
            "",
            f"Generated by `{command}`.",
            "",
            facts_table(facts),
            "",
            f"Medians of {args.rounds} requests each (eager rows: {args.slow_rounds}), in "
            "process, DEBUG off, the demo's current assessment (17 topics, its run's "
            "replies). *Before*: the same request as the code before this change served "
            "it, in the same run (see *What is measured*). Times in ms.",
            "",
            markdown_table(
                [
                    "request",
                    "ms",
                    "range ms",
                    "÷ home",
                    "before ms",
                    "after ÷ before",
                    "target ms",
                ],
                rows,
            ),
            "",
            f"Moved to the run's task (once per run, in the worker): the sensitivity and "
            f"the 8 overall matrix files, {precompute_s * 1000:.0f} ms in all. "
            f"The eager export (the file built in the request, the embedded default): "
            f"{med['export eager']:.0f} ms.",
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
