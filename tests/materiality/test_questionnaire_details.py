"""Details of the questionnaire pages a respondent meets on a phone (issue #13): an error
summary that names each question, and the step buttons in reading order."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from django.test import Client

from materiality.models import StakeholderGroup
from materiality.services import group_link_create, open_link_create
from tests.conftest import link_path
from tests.respondents import start

pytestmark = pytest.mark.django_db


def summary_links(html: str) -> list[tuple[str, str]]:
    summary = re.search(r'<div class="error-summary".*?</ul>', html, re.S)
    assert summary is not None
    links = re.findall(r'<a href="([^"]+)">([^<]*)</a>', summary.group(0))
    return [(href, unescape(text).strip()) for href, text in links]


def step_buttons(html: str) -> list[str]:
    actions = re.search(r'<div class="actions">.*?</div>', html, re.S)
    assert actions is not None
    return re.findall(r'<button type="submit" name="action" value="(\w+)"', actions.group(0))


def test_the_error_summary_of_the_open_link_names_each_question_and_links_to_it(
    open_assessment: Any,
) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    walk = start(client, link_path(open_link_create(assessment=open_assessment)))
    response = client.post(walk.page_url(1), {"action": "next"})
    assert response.status_code == 400
    html = response.content.decode()
    links = summary_links(html)
    assert len(links) == 2
    assert links[0][1] == "Please answer “Which stakeholder group do you belong to?”."
    assert links[1][1].startswith("Please answer “")
    assert links[0][1] != links[1][1]
    for href, _ in links:
        assert f'id="{href[1:]}"' in html, href


def test_the_summary_of_an_empty_step_names_each_topic_once(open_assessment: Any) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    group = StakeholderGroup.objects.get(code="customers")
    walk = start(client, link_path(group_link_create(assessment=open_assessment, group=group)))
    html = client.post(walk.page_url(1), {"action": "next"}).content.decode()
    links = summary_links(html)
    assert len(links) == 5  # five topics, each unrated on both axes
    assert links[0][1] == "Please rate “Corporate governance”."
    assert re.fullmatch(r"#id_q\d+_r0_c0_0", links[0][0])


@pytest.mark.parametrize(
    ("step", "expected"), [(1, ["next", "later"]), (2, ["next", "back", "later"])]
)
def test_next_comes_first_then_back_then_later(
    open_assessment: Any, step: int, expected: list[str]
) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    group = StakeholderGroup.objects.get(code="customers")
    walk = start(client, link_path(group_link_create(assessment=open_assessment, group=group)))
    assert step_buttons(client.get(walk.page_url(step)).content.decode()) == expected
