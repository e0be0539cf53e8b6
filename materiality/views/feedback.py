"""Reports and their reader feedback: the ESG team's pages and the public form."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from materiality.feedback.charts import summary_charts
from materiality.feedback.comments import comment_tag, feedback_comments
from materiality.feedback.form import feedback_page, report_create
from materiality.feedback.submitting import feedback_submit
from materiality.feedback.summary import feedback_summary
from materiality.feedback.table import feedback_table
from materiality.forms import (
    CommentTagForm,
    FeedbackContactForm,
    FeedbackPageForm,
    QuestionAddForm,
    QuestionEditForm,
    ReportForm,
)
from materiality.models import Report
from materiality.plots import BarSpec, bar_figure, render_figure
from materiality.reporting.spreadsheets import (
    CSV_CONTENT_TYPE,
    XLSX_CONTENT_TYPE,
    plain_csv,
    plain_xlsx,
)
from materiality.views.access import permission_required
from surveys.errors import SurveyError, SurveyLocked
from surveys.models import Answer, Question, SurveyStatus
from surveys.qrcodes import FORMATS, qr_code
from surveys.ratelimits import client_hash
from surveys.selectors import questionnaire_load
from surveys.services import (
    OptionSpec,
    QuestionSpec,
    question_add,
    question_edit,
    question_move,
    question_set_retired,
    survey_check_open,
    survey_close,
    survey_open,
)
from surveys.translations import active_language, pick, requested_language, survey_language


def _report(pk: int) -> Report:
    return get_object_or_404(Report.objects.select_related("survey"), pk=pk)


def public_link(report: Report) -> str:
    return f"{settings.SITE_URL}{reverse('feedback-form', args=[report.public_code])}"


# --- The ESG team's pages -------------------------------------------------------------


@permission_required("materiality.view_report")
def report_list(request: HttpRequest) -> HttpResponse:
    reports = Report.objects.select_related("survey")
    return render(request, "materiality/reports/list.html", {"reports": reports})


@permission_required("materiality.add_report")
def report_new(request: HttpRequest) -> HttpResponse:
    form = ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        report = report_create(
            title=form.cleaned_data["title"],
            year=form.cleaned_data["year"],
            languages=[c for c, _n in settings.LANGUAGES if c in form.cleaned_data["languages"]],
            document_url=form.cleaned_data["document_url"],
            created_by=request.user,
        )
        messages.success(request, _("Report added with the six-question feedback form."))
        return redirect("materiality:report", pk=report.pk)
    status = 400 if form.is_bound else 200
    return render(request, "materiality/reports/form.html", {"form": form}, status=status)


@permission_required("materiality.view_report")
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report(pk)
    language = active_language()
    questionnaire = questionnaire_load(report.survey)
    all_questions = list(Question.objects.filter(survey=report.survey).order_by("order", "pk"))
    summary = report.summary or feedback_summary(report)
    charts = summary_charts(summary, questionnaire, language)
    search = request.GET.get("q", "").strip()[:100]
    context: dict[str, Any] = {
        "report": report,
        "link": public_link(report),
        "questions": [
            (
                q,
                pick(q.text, language),
                QuestionEditForm(
                    initial={"text": q.text, "required": q.required}, auto_id=f"q{q.pk}-%s"
                ),
            )
            for q in all_questions
        ],
        "is_draft": report.survey.status == SurveyStatus.DRAFT,
        "can_change": request.user.has_perm("materiality.change_report"),
        "summary": summary,
        "charts": charts,
        "comments": feedback_comments(report, search=search, language=language),
        "search": search,
        "add_form": QuestionAddForm(),
        "tag_form": CommentTagForm(),
    }
    return render(request, "materiality/reports/detail.html", context)


@require_POST
@permission_required("materiality.change_report")
def report_status(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    report = _report(pk)
    if action == "open":
        survey_open(survey=report.survey)
        messages.success(request, _("The feedback form is open."))
    elif action == "close":
        survey_close(survey=report.survey)
        messages.success(request, _("The feedback form is closed."))
    else:
        raise Http404
    return redirect("materiality:report", pk=pk)


@require_POST
@permission_required("materiality.change_report")
def report_question(request: HttpRequest, pk: int, question_pk: int, action: str) -> HttpResponse:
    report = _report(pk)
    question = get_object_or_404(Question, pk=question_pk, survey=report.survey)
    try:
        if action in ("up", "down"):
            question_move(question=question, step=-1 if action == "up" else 1)
        elif action in ("retire", "restore"):
            question_set_retired(question=question, retired=action == "retire")
        elif action == "edit":
            form = QuestionEditForm(request.POST)
            if not form.is_valid():
                messages.error(request, _("The question needs a text in the default language."))
                return redirect("materiality:report", pk=pk)
            question_edit(
                question=question,
                text=form.cleaned_data["text"],
                required=form.cleaned_data["required"],
            )
        else:
            raise Http404
    except SurveyLocked as error:
        messages.error(request, str(error.message))
    return redirect(f"{reverse('materiality:report', args=[pk])}#questions")


@require_POST
@permission_required("materiality.change_report")
def report_question_add(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report(pk)
    form = QuestionAddForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect(f"{reverse('materiality:report', args=[pk])}#questions")
    choices = []
    for position, line in enumerate(form.cleaned_data["choice_lines"], start=1):
        english, _sep, chinese = line.partition("|")
        label = {"en": english.strip(), "zh-hans": (chinese or english).strip()}
        choices.append(OptionSpec(code=f"choice-{position}", label=label))
    spec = QuestionSpec(
        code=f"extra-{secrets.token_hex(3)}",
        kind=form.cleaned_data["kind"],
        text=form.cleaned_data["text"],
        required=form.cleaned_data["required"],
        choices=choices if form.cleaned_data["kind"] in ("single", "multiple") else [],
    )
    try:
        question_add(survey=report.survey, spec=spec)
    except SurveyLocked as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Question added."))
    return redirect(f"{reverse('materiality:report', args=[pk])}#questions")


@permission_required("materiality.view_report")
def report_qr(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    report = _report(pk)
    if fmt not in FORMATS:
        raise Http404
    # Print quality: 20 px modules make a 300 dpi PNG several centimetres wide.
    response = HttpResponse(qr_code(public_link(report), fmt, scale=20), content_type=FORMATS[fmt])
    if request.GET.get("download"):
        name = f"feedback-{report.year}.{fmt}"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@permission_required("materiality.view_report")
def report_chart(request: HttpRequest, pk: int, question_pk: int) -> HttpResponse:
    report = _report(pk)
    question = get_object_or_404(Question, pk=question_pk, survey=report.survey)
    language = requested_language(request)
    if language not in report.survey.languages:
        language = report.survey.languages[0]
    summary = report.summary or feedback_summary(report)
    row = request.GET.get("row", "")
    with translation.override(language):
        charts = summary_charts(summary, questionnaire_load(report.survey), language)
        chart = next((c for c in charts if c.question.pk == question.pk and c.row == row), None)
        if chart is None:
            raise Http404
        spec = BarSpec(
            title=chart.title,
            labels=chart.labels,
            counts=chart.counts,
            footnote=" · ".join(chart.notes()),
            language="zh-hans" if language.startswith("zh") else "en",
        )
    return HttpResponse(render_figure(bar_figure(spec), "png"), content_type="image/png")


@permission_required("materiality.view_report")
def report_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    report = _report(pk)
    language = active_language()
    header, rows = feedback_table(report, language)
    if fmt == "csv":
        response = HttpResponse(plain_csv(header, rows), content_type=CSV_CONTENT_TYPE)
    elif fmt == "xlsx":
        body = plain_xlsx(_("Feedback"), header, rows)
        response = HttpResponse(body, content_type=XLSX_CONTENT_TYPE)
    else:
        raise Http404
    response["Content-Disposition"] = f'attachment; filename="feedback-{report.year}.{fmt}"'
    return response


@require_POST
@permission_required("materiality.change_report")
def comment_tags(request: HttpRequest, pk: int, answer_pk: int) -> HttpResponse:
    report = _report(pk)
    answer = get_object_or_404(Answer, pk=answer_pk, response__survey=report.survey)
    form = CommentTagForm(request.POST)
    if form.is_valid():
        comment_tag(
            answer=answer,
            topic_ids=[t.pk for t in form.cleaned_data["topics"]],
            user=request.user,
        )
        messages.success(request, _("Topics saved for the comment."))
    else:
        messages.error(request, _("Choose topics from the list."))
    return redirect(f"{reverse('materiality:report', args=[pk])}#comments")


# --- The public form ------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
def feedback_form(request: HttpRequest, code: str) -> HttpResponse:
    report = get_object_or_404(Report.objects.select_related("survey"), public_code=code)
    language = survey_language(request, report.survey)
    survey = report.survey
    context: dict[str, Any] = {
        "report": report,
        "survey": survey,
        "survey_title": pick(report.title, language),
        "survey_intro": pick(survey.intro, language),
        "privacy_notice": pick(survey.privacy_notice, language),
        "survey_languages": survey.languages,
    }
    try:
        survey_check_open(survey)
    except SurveyError as error:
        return render(
            request, "surveys/error.html", {**context, "error": error}, status=error.status
        )
    page = feedback_page(questionnaire_load(survey))
    if request.method == "POST":
        form = FeedbackPageForm(
            request.POST, page=page, language=language, answers={}, require_complete=True
        )
        contact = FeedbackContactForm(request.POST)
        if contact.is_robot:
            # Looks like success to the robot; nothing is stored.
            return redirect("feedback-thanks", code=code)
        if form.is_valid() and contact.is_valid():
            try:
                feedback_submit(
                    report=report,
                    answers=list(form.answer_inputs()),
                    language=language,
                    client_hash=client_hash(request, "feedback"),
                    contact_email=contact.cleaned_data["contact_email"]
                    if contact.cleaned_data["contact_consent"]
                    else "",
                )
            except SurveyError as error:
                return render(
                    request, "surveys/error.html", {**context, "error": error}, status=error.status
                )
            return redirect("feedback-thanks", code=code)
        status = 400
    else:
        form = FeedbackPageForm(page=page, language=language, answers={})
        contact = FeedbackContactForm()
        status = 200
    context.update(form=form, blocks=form.blocks(), contact=contact)
    return render(request, "feedback/form.html", context, status=status)


def feedback_thanks(request: HttpRequest, code: str) -> HttpResponse:
    report = get_object_or_404(Report.objects.select_related("survey"), public_code=code)
    language = survey_language(request, report.survey)
    context = {
        "report": report,
        "survey_title": pick(report.title, language),
        "survey_languages": report.survey.languages,
    }
    return render(request, "feedback/thanks.html", context)
