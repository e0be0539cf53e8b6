"""The respondent's side: landing page, questionnaire pages, review, thanks.

Plain server-rendered forms: everything works without JavaScript, and every POST is
answered with a redirect (no "resubmit form?" on reload); with the survey's script, the
page the redirect leads to comes in the POST's own answer (`surveys/navigation.py`).
Errors a respondent can meet are `SurveyError`s, each rendered as its own page with its
own status.
"""

from __future__ import annotations

from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from surveys.errors import AlreadySubmitted, IncompleteResponse, SurveyError
from surveys.forms import PageForm
from surveys.models import Invitation, InvitationKind, Response, ResponseStatus, Survey
from surveys.navigation import View, in_place
from surveys.ratelimits import client_hash
from surveys.selectors import (
    missing_pages,
    questionnaire_load,
    response_answers,
    response_in_progress,
)
from surveys.services import (
    StartedResponse,
    answers_save,
    invitation_resolve,
    response_resume,
    response_start,
    response_submit,
    survey_check_open,
)
from surveys.tokens import client_digest, looks_like_token, new_token
from surveys.translations import enabled_languages, pick, survey_language

RESUME_COOKIE = "materia-resume-{survey}"
DONE_COOKIE = "materia-done-{survey}"
COOKIE_AGE = 60 * 60 * 24 * 90
# One browser, for the group links' limit per device: random, signed, kept two years.
DEVICE_COOKIE = "materia-device"
DEVICE_COOKIE_AGE = 60 * 60 * 24 * 730


def survey_errors(view: View) -> View:
    """Render a `SurveyError` as its own page, with its own HTTP status."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except SurveyError as error:
            page = render(request, "surveys/error.html", {"error": error}, status=error.status)
            if error.retry_after is not None:
                page["Retry-After"] = str(error.retry_after)
            return page

    return wrapper


def _survey_context(survey: Survey, language: str) -> dict[str, Any]:
    return {
        "survey": survey,
        "survey_title": pick(survey.title, language),
        "survey_intro": pick(survey.intro, language),
        "privacy_notice": pick(survey.privacy_notice, language),
        "survey_languages": survey.languages,
    }


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@in_place
@survey_errors
def invitation_landing(request: HttpRequest, token: str) -> HttpResponse:
    invitation = invitation_resolve(token)
    if invitation.kind != InvitationKind.PERSONAL:
        return _group_landing(request, invitation, token)
    # A personal link is one person's: one response, continued on any device.
    survey = invitation.survey
    language = survey_language(request, survey)
    if invitation.responded_at is not None:
        raise AlreadySubmitted
    if request.method == "POST":
        started = response_start(invitation=invitation, language=language)
        _keep_resumed(request, started)
        return redirect("surveys:page", resume=started.resume_token, number=1)
    survey_check_open(survey)
    context = _survey_context(survey, language)
    context["token"] = token
    return render(request, "surveys/landing.html", context)


def _group_landing(request: HttpRequest, invitation: Invitation, token: str) -> HttpResponse:
    """A link many people open, often on one shared phone or kiosk: a browser holding a
    response in progress offers to continue it or to start a new one for someone else
    (who never sees the other's answers); after a submit it offers a new one. The link's
    limits per address and per device (checked by `response_start`) bound what one
    browser sends."""
    survey = invitation.survey
    language = survey_language(request, survey)
    resume_cookie = RESUME_COOKIE.format(survey=survey.pk)
    done_cookie = DONE_COOKIE.format(survey=survey.pk)
    resume = request.COOKIES.get(resume_cookie, "")
    begun = response_in_progress(resume, survey=survey)
    device = _device(request)
    if request.method == "POST":
        # Without a choice (a form of an older page), a response begun is continued.
        if begun is not None and request.POST.get("action", "continue") == "continue":
            return redirect("surveys:continue", resume=resume)
        started = response_start(
            invitation=invitation,
            language=language,
            client_hash=client_hash(request, f"survey:{survey.pk}"),
            device_hash=client_digest(device, f"{settings.SECRET_KEY}:device:{survey.pk}"),
        )
        _keep_resumed(request, started)
        http = redirect("surveys:page", resume=started.resume_token, number=1)
        _keep_device(request, http, device)
        # The browser now holds the new response only: the previous respondent's goes on
        # by the link they saved, never from this browser.
        http.set_cookie(
            resume_cookie,
            started.resume_token,
            max_age=COOKIE_AGE,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure(),
        )
        http.delete_cookie(done_cookie, samesite="Lax")
        return http
    survey_check_open(survey)
    context = _survey_context(survey, language)
    context.update(
        {
            "token": token,
            "begun": begun is not None,
            "already_sent": begun is None and bool(request.COOKIES.get(done_cookie)),
        }
    )
    page = render(request, "surveys/landing.html", context)
    _keep_device(request, page, device)
    return page


def _device(request: HttpRequest) -> str:
    """The browser's device id from its signed cookie, or a new one: what the group
    links' limit per device counts (a cookie that was tampered with counts as none)."""
    device = request.get_signed_cookie(DEVICE_COOKIE, default="", salt=DEVICE_COOKIE) or ""
    return device if looks_like_token(device) else new_token()


def _keep_device(request: HttpRequest, http: HttpResponse, device: str) -> None:
    if request.get_signed_cookie(DEVICE_COOKIE, default="", salt=DEVICE_COOKIE) != device:
        http.set_signed_cookie(
            DEVICE_COOKIE,
            device,
            salt=DEVICE_COOKIE,
            max_age=DEVICE_COOKIE_AGE,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure(),
        )


def _resumed(request: HttpRequest, resume: str, *, again: bool = False) -> Response:
    """The response of a resume link, with its link, read once per request (`again`:
    read anew); one whose link was revoked is refused (`response_resume`). A step shown
    in place (surveys/navigation.py) draws the page it leads to with the response its
    POST read, under that POST's lock and with that POST's changes, instead of reading
    it again."""
    kept: dict[str, Response] = request.__dict__.setdefault("_resumed", {})
    response = kept.get(resume)
    if again or response is None:
        response = kept[resume] = response_resume(resume)
    return response


def _keep_resumed(request: HttpRequest, started: StartedResponse) -> None:
    """A response just begun, as `_resumed` keeps it for the page it leads to."""
    request.__dict__.setdefault("_resumed", {})[started.resume_token] = started.response


def _load(request: HttpRequest, resume: str) -> Response:
    """A response still being filled in, on a survey open now: a respondent learns that
    the survey closed (or does not open yet) before answering, not after."""
    response = _resumed(request, resume)
    if response.status == ResponseStatus.SUBMITTED:
        raise AlreadySubmitted
    survey_check_open(response.survey)
    return response


@never_cache
@survey_errors
def response_continue(request: HttpRequest, resume: str) -> HttpResponse:
    response = _resumed(request, resume)
    if response.status == ResponseStatus.SUBMITTED:
        return redirect("surveys:thanks", resume=resume)
    survey_check_open(response.survey)
    questionnaire = questionnaire_load(response.survey)
    missing = missing_pages(questionnaire, response, response_answers(response))
    http = redirect("surveys:page", resume=resume, number=missing[0] if missing else 1)
    # On another device, go on in the language the respondent chose, unless this browser
    # has chosen one itself.
    if response.language and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
        _remember_language(request, http, response.language)
    return http


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@in_place
@survey_errors
def response_page(request: HttpRequest, resume: str, number: int) -> HttpResponse:
    response = _load(request, resume)
    survey = response.survey
    language = survey_language(request, survey)
    questionnaire = questionnaire_load(survey)
    pages = questionnaire.pages(response)
    if not 1 <= number <= len(pages):
        return redirect("surveys:page", resume=resume, number=1)
    page = pages[number - 1]
    switched = ""
    if request.method == "POST":
        action = request.POST.get("action", "next")
        if "language" in request.POST:
            # The language switch of this page is part of its form (see page.html):
            # what is on the page is saved like "later" does, then the same step is
            # shown in the other language.
            action = "language"
            switched = _switch_language(request, survey, request.POST["language"], language)
            language = switched
        # A bound form shows what was sent, never what was stored: no answers to read.
        form = PageForm(
            request.POST,
            page=page,
            language=language,
            answers={},
            require_complete=action == "next",
        )
        # "back", "later" and a language skip only the completeness check: a value the
        # server refuses is shown again with its message, never dropped (saving the page's
        # scope without it would delete the answer stored before).
        if form.is_valid():
            answers_save(
                response=response,
                questionnaire=questionnaire,
                scope=page.scope,
                answers=form.answer_inputs(),
                language=switched,
            )
            if switched:
                http: HttpResponse = redirect("surveys:page", resume=resume, number=number)
                _remember_language(request, http, switched)
                return http
            if action == "back":
                return redirect("surveys:page", resume=resume, number=max(1, number - 1))
            if action == "later":
                return redirect("surveys:later", resume=resume)
            if number < len(pages):
                return redirect("surveys:page", resume=resume, number=number + 1)
            return redirect("surveys:review", resume=resume)
        status = 400
    else:
        form = PageForm(page=page, language=language, answers=response_answers(response))
        status = 200
    context = _survey_context(survey, language)
    context.update(
        {
            "form": form,
            "blocks": form.blocks(),
            "page": page,
            "page_count": len(pages),
            "step": number,
            "resume": resume,
            "is_last": number == len(pages),
        }
    )
    http = render(request, "surveys/page.html", context, status=status)
    if switched:
        _remember_language(request, http, switched)
    return http


def _switch_language(request: HttpRequest, survey: Survey, asked: str, current: str) -> str:
    """The language a respondent switched to, active from here on; a code the survey does
    not offer (a tampered form) keeps the current one."""
    if asked not in (survey.languages or enabled_languages()):
        return current
    translation.activate(asked)
    request.LANGUAGE_CODE = asked
    return asked


def _remember_language(request: HttpRequest, http: HttpResponse, language: str) -> None:
    """The language cookie, as Django's own language switch sets it."""
    http.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        samesite="Lax",
        secure=request.is_secure(),
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@in_place
@survey_errors
def response_review(request: HttpRequest, resume: str) -> HttpResponse:
    response = _resumed(request, resume)
    if response.status == ResponseStatus.SUBMITTED:
        # The final POST sent again (a double tap, a proxy's retry, back and resubmit):
        # the reply is stored once, and the sender sees the thanks page, not an error.
        return _thanks_after_submit(request, response, resume)
    survey = response.survey
    survey_check_open(survey)
    language = survey_language(request, survey)
    questionnaire = questionnaire_load(survey)
    missing: list[int] = []
    status = 200
    if request.method == "POST":
        try:
            response_submit(response=response, questionnaire=questionnaire)
        except IncompleteResponse as incomplete:
            missing = incomplete.pages
            status = 400
        except AlreadySubmitted:
            # A concurrent copy of this POST won the race: the same outcome, the same
            # page. (Refused for another reason, the reply is not submitted: say so.)
            response = _resumed(request, resume, again=True)
            if response.status != ResponseStatus.SUBMITTED:
                raise
            return _thanks_after_submit(request, response, resume)
        else:
            return _thanks_after_submit(request, response, resume)
    answers = response_answers(response)
    pages = questionnaire.pages(response)
    if not missing:
        missing = missing_pages(questionnaire, response, answers)
    summary = [
        {
            "number": page.number,
            "blocks": PageForm(page=page, language=language, answers=answers).blocks(),
            "complete": page.number not in missing,
        }
        for page in pages
    ]
    context = _survey_context(survey, language)
    context.update(
        {
            "summary": summary,
            "missing": missing,
            "resume": resume,
            "page_count": len(pages),
            "step": len(pages) + 1,
        }
    )
    return render(request, "surveys/review.html", context, status=status)


def _thanks_after_submit(request: HttpRequest, response: Response, resume: str) -> HttpResponse:
    """The redirect to the thanks page; after a POST on a shared link it also marks
    the browser as done (whichever copy of a repeated POST the browser finally reads)."""
    http: HttpResponse = redirect("surveys:thanks", resume=resume)
    if request.method != "POST":
        return http
    if response.invitation_id is None or (
        response.invitation and response.invitation.kind != InvitationKind.PERSONAL
    ):
        survey_id = response.survey_id
        http.set_cookie(
            DONE_COOKIE.format(survey=survey_id),
            "1",
            max_age=COOKIE_AGE,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure(),
        )
        http.delete_cookie(RESUME_COOKIE.format(survey=survey_id))
    return http


@never_cache
@survey_errors
def response_thanks(request: HttpRequest, resume: str) -> HttpResponse:
    response = _resumed(request, resume)
    if response.status != ResponseStatus.SUBMITTED:
        return redirect("surveys:continue", resume=resume)
    language = survey_language(request, response.survey)
    context = _survey_context(response.survey, language)
    context["thanks"] = pick(response.survey.thanks, language)
    return render(request, "surveys/thanks.html", context)


@never_cache
@survey_errors
def response_later(request: HttpRequest, resume: str) -> HttpResponse:
    response = _load(request, resume)
    language = survey_language(request, response.survey)
    context = _survey_context(response.survey, language)
    context["resume_url"] = request.build_absolute_uri(
        reverse("surveys:continue", kwargs={"resume": resume})
    )
    return render(request, "surveys/later.html", context)
