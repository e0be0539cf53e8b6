"""The bare baseline: the least Django can do to store a submitted response.

One request carries a complete response; the view inserts the same rows the real path
ends up with (one Response, one Answer per rating and per text) in one transaction with
one bulk insert, and redirects like the real submit does. No forms, no validation, no
look-ups: the floor the submit path is compared with. It still runs behind the site's
whole middleware stack (sessions, locale, CSRF, ...), as the real views do.

Mounted only by benchmarks/urls.py, for the benchmark server; never part of the site.

Form fields: ``survey``, ``group``, ``internal`` ("1"/"0"), ``language``, then
``r:<question id>:<row code>:<column code>`` = rating and ``t:<question id>:<row code>``
= text (codes are slugs, so they hold no colon).
"""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from surveys.models import Answer, Response, ResponseStatus
from surveys.tokens import new_token, token_digest


@require_POST
def bare_submit(request: HttpRequest) -> HttpResponse:
    post = request.POST
    now = timezone.now()
    token = new_token()  # the real path gives every response a resume token too
    answers: list[Answer] = []
    for name in post:
        raw = post[name]
        kind, _, key = name.partition(":")
        if kind == "r":
            question_id, row_code, column_code = key.split(":")
            answers.append(
                Answer(
                    question_id=int(question_id),
                    row_code=row_code,
                    column_code=column_code,
                    value=int(raw),
                )
            )
        elif kind == "t":
            question_id, row_code = key.split(":")
            answers.append(Answer(question_id=int(question_id), row_code=row_code, text=raw))
    with transaction.atomic():
        response = Response.objects.create(
            survey_id=int(post["survey"]),
            resume_hash=token_digest(token),
            status=ResponseStatus.SUBMITTED,
            language=post.get("language", ""),
            respondent_group=post["group"],
            respondent_internal=post["internal"] == "1",
            respondent_fixed=True,
            started_at=now,
            submitted_at=now,
            duration_seconds=0,
        )
        for answer in answers:
            answer.response = response
        Answer.objects.bulk_create(answers)
    return HttpResponseRedirect(reverse("surveys:thanks", kwargs={"resume": token}))
