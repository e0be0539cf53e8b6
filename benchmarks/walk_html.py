"""The HTML of every page of a respondent's walk, written to a directory, so that two
versions of the code can be compared byte for byte (docs/benchmarks.md, "Submit path"):

    DEBUG=true .venv/bin/python -m benchmarks.walk_html \\
        --database postgres://postgres@127.0.0.1:5432/materia_bench_html --out var/walk-html

Run it on the code before and after a change, then `diff -r before after`. The walk is
the benchmark's (17 topics, a group link, CSRF checks on, DEBUG off), in both languages,
and it also shows the pages a respondent sees less often: a step sent back with its
errors (empty, then with a value the server refuses), a step shown again with its
answers (Back), the review with a step missing, and the shared-device landing. Random
tokens (CSRF, resume, link) are replaced by placeholders; nothing else is touched.

The database is dropped and created again; its name must contain "bench".
"""

from __future__ import annotations

import argparse
import os
import random
import re
from pathlib import Path

import django

from benchmarks.database import database_recreate

CSRF = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]+(")')


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.walk_html")
    parser.add_argument("--database", required=True, help="postgres://... ('bench' in its name)")
    parser.add_argument("--out", type=Path, required=True, help="directory for the pages")
    args = parser.parse_args()
    database_recreate(args.database)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="benchmarks.settings",
        MATERIA_BENCHMARK="1",
        DATABASE_URL=args.database,
        ALLOWED_HOSTS="127.0.0.1",
        LOG_LEVEL="ERROR",
    )
    for name in ("REDIS_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "EMAIL_HOST"):
        os.environ.pop(name, None)
    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client, override_settings

    from benchmarks.loadgen import GRID_FIELD, page_answers
    from benchmarks.respondents import HOST, bench_survey

    call_command("migrate", interactive=False, verbosity=0)
    bench = bench_survey(17)
    args.out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(1)
    secrets: dict[str, str] = {}

    def save(name: str, html: str) -> None:
        html = CSRF.sub(r"\1CSRF\2", html)
        for secret, placeholder in secrets.items():
            html = html.replace(secret, placeholder)
        (args.out / f"{name}.html").write_text(html)

    with override_settings(DEBUG=False):
        for language in ("en", "zh-hans"):
            client = Client(enforce_csrf_checks=True, HTTP_HOST=HOST)
            client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
            link = bench.links[0].path
            secrets[link.split("/")[3]] = "LINK"

            def get(name: str, path: str, client: Client = client, language: str = language) -> str:
                page = client.get(path)
                assert page.status_code == 200, (path, page.status_code)
                html = page.content.decode()
                save(f"{language}-{name}", html)
                return html

            def token(html: str) -> str:
                match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
                assert match is not None
                return match.group(1)

            landing = get("01-landing", link)
            started = client.post(link, {"csrfmiddlewaretoken": token(landing)})
            url = started["Location"]
            secrets[url.split("/")[3]] = "RESUME"
            number = 1
            while True:
                html = get(f"02-page-{number}", url)
                grid = GRID_FIELD.search(html) is not None
                if number == 1:
                    # Sent back: nothing answered, then a value the server refuses.
                    empty = {"csrfmiddlewaretoken": token(html), "action": "next"}
                    refused = client.post(url, empty)
                    assert refused.status_code == 400, refused.status_code
                    save(f"{language}-03-page-1-errors", refused.content.decode())
                data = page_answers(html, rng, first_grid_page=number == 2)
                if number == 2 and grid:
                    wrong = {**data, next(iter(data)): "9", "action": "next"}
                    wrong["csrfmiddlewaretoken"] = token(html)
                    refused = client.post(url, wrong)
                    assert refused.status_code == 400, refused.status_code
                    save(f"{language}-03-page-2-refused", refused.content.decode())
                    # Saved with "later"-like back: the step shown again with answers.
                    back = {**data, "csrfmiddlewaretoken": token(html), "action": "back"}
                    assert client.post(url, back).status_code == 302
                    get("04-page-2-again", url)
                if number == 3:
                    review = get("05-review-incomplete", url.rsplit("/", 3)[0] + "/review/")
                    assert "review" in review
                data.update(csrfmiddlewaretoken=token(html), action="next")
                saved = client.post(url, data)
                assert saved.status_code == 302, (url, saved.status_code, saved.content[:300])
                if saved["Location"].endswith("/review/"):
                    break
                url = saved["Location"]
                number += 1
            review = get("06-review", saved["Location"])
            submitted = client.post(saved["Location"], {"csrfmiddlewaretoken": token(review)})
            assert submitted.status_code == 302
            get("07-thanks", submitted["Location"])
            get("08-landing-after-submit", link)
    print(f"{len(list(args.out.iterdir()))} pages in {args.out}")


if __name__ == "__main__":
    main()
