"""A scripted respondent for tests: walks the questionnaire through real HTTP requests,
the way a browser without JavaScript would."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from django.test import Client
from django.utils import timezone

GRID_FIELD = re.compile(r'name="(q\d+_r\d+_c\d+)"')
RADIO = re.compile(r'type="radio" name="(q\d+)" value="([^"]+)"')


@dataclass
class Walk:
    resume: str
    pages: list[int] = field(default_factory=list)

    @property
    def review_url(self) -> str:
        return f"/s/r/{self.resume}/review/"

    def page_url(self, number: int) -> str:
        return f"/s/r/{self.resume}/p/{number}/"


def start(client: Client, link_path: str) -> Walk:
    response = client.post(link_path)
    assert response.status_code == 302, response.content.decode()[:500]
    return Walk(resume=response["Location"].split("/")[3])


Rating = str | Callable[[str], str]


def took(walk: Walk, seconds: int) -> None:
    """Date the walk's start `seconds` back, as if the respondent had taken that long."""
    from surveys.models import Response
    from surveys.tokens import token_digest

    Response.objects.filter(resume_hash=token_digest(walk.resume)).update(
        started_at=timezone.now() - timedelta(seconds=seconds)
    )


def answer_all(
    client: Client, walk: Walk, rating: Rating = "4", choices: dict[str, str] | None = None
) -> None:
    """Answer every page ("next" each time) until the review page. `rating` is a value
    for every grid cell, or a function of the cell's field name."""
    number = 1
    while True:
        html = client.get(walk.page_url(number)).content.decode()
        cells = sorted(set(GRID_FIELD.findall(html)))
        data: dict[str, str] = {
            name: rating(name) if callable(rating) else rating for name in cells
        }
        for name, value in RADIO.findall(html):
            data.setdefault(name, (choices or {}).get(name, value))
        response = client.post(walk.page_url(number), {**data, "action": "next"})
        assert response.status_code == 302, response.content.decode()[:2000]
        walk.pages.append(number)
        if response["Location"].endswith("/review/"):
            return
        number += 1


def respond(client: Client, link_path: str, rating: Rating = "4", *, seconds: int = 600) -> Walk:
    """Answer the questionnaire and submit it, as a person taking `seconds` over it (the
    too-fast rule's floor would leave out a reply scripted in no time)."""
    walk = start(client, link_path)
    answer_all(client, walk, rating)
    took(walk, seconds)
    response = client.post(walk.review_url)
    assert response.status_code == 302, response.content.decode()[:2000]
    return walk
