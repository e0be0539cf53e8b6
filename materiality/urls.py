from django.urls import path

from materiality.views import account, assessments, feedback, importing, method_settings, results

app_name = "materiality"

urlpatterns = [
    path("assessments/", assessments.assessment_list, name="assessments"),
    path("assessments/new/", assessments.assessment_new, name="assessment-new"),
    path("assessments/<int:pk>/", assessments.assessment_detail, name="assessment"),
    path("assessments/<int:pk>/edit/", assessments.assessment_edit, name="assessment-edit"),
    path(
        "assessments/<int:pk>/progress.json",
        assessments.assessment_progress,
        name="assessment-progress",
    ),
    path(
        "assessments/<int:pk>/method/",
        method_settings.method_settings_page,
        name="method-settings",
    ),
    path("assessments/<int:pk>/runs/", assessments.run_request, name="run-request"),
    path("assessments/<int:pk>/runs/status.json", assessments.run_status, name="run-status"),
    path("assessments/<int:pk>/results/", results.results, name="results"),
    path(
        "assessments/<int:pk>/runs/<int:run_id>/matrix.<str:fmt>",
        results.run_matrix,
        name="run-matrix",
    ),
    path("assessments/<int:pk>/runs/<int:run_id>/submit/", results.run_submit, name="run-submit"),
    path(
        "assessments/<int:pk>/runs/<int:run_id>/confirm/",
        results.run_confirm_view,
        name="run-confirm",
    ),
    path(
        "assessments/<int:pk>/runs/<int:run_id>/send-back/",
        results.run_send_back_view,
        name="run-send-back",
    ),
    path(
        "assessments/<int:pk>/status/<str:action>/",
        assessments.assessment_status,
        name="assessment-status",
    ),
    path("assessments/<int:pk>/links/<str:kind>/", assessments.link_create, name="link-create"),
    path(
        "assessments/<int:pk>/links/<int:invitation_pk>/revoke/",
        assessments.link_revoke,
        name="link-revoke",
    ),
    path(
        "assessments/<int:pk>/links/<int:invitation_pk>/rotate/",
        assessments.link_rotate,
        name="link-rotate",
    ),
    path(
        "assessments/<int:pk>/links/<int:invitation_pk>/qr.<str:fmt>",
        assessments.link_qr,
        name="link-qr",
    ),
    path(
        "assessments/<int:pk>/invitations/upload/",
        assessments.invitations_upload,
        name="invitations-upload",
    ),
    path(
        "assessments/<int:pk>/invitations/<str:action>/",
        assessments.invitations_mail,
        name="invitations-mail",
    ),
    path("assessments/<int:pk>/exports/", results.export_new, name="export-new"),
    path("assessments/<int:pk>/exports/<int:job_id>/", results.export_status, name="export"),
    path(
        "assessments/<int:pk>/exports/<int:job_id>/download/",
        results.export_download,
        name="export-download",
    ),
    path("reports/", feedback.report_list, name="reports"),
    path("reports/new/", feedback.report_new, name="report-new"),
    path("reports/<int:pk>/", feedback.report_detail, name="report"),
    path("reports/<int:pk>/status/<str:action>/", feedback.report_status, name="report-status"),
    path(
        "reports/<int:pk>/questions/<int:question_pk>/<str:action>/",
        feedback.report_question,
        name="report-question",
    ),
    path(
        "reports/<int:pk>/questions/add/", feedback.report_question_add, name="report-question-add"
    ),
    path("reports/<int:pk>/qr.<str:fmt>", feedback.report_qr, name="report-qr"),
    path(
        "reports/<int:pk>/charts/<int:question_pk>.png", feedback.report_chart, name="report-chart"
    ),
    path("reports/<int:pk>/export.<str:fmt>", feedback.report_export, name="report-export"),
    path(
        "reports/<int:pk>/comments/<int:answer_pk>/tags/",
        feedback.comment_tags,
        name="comment-tags",
    ),
    *importing.urlpatterns,
    path("account/tokens/", account.tokens, name="account-tokens"),
    path("account/tokens/<int:pk>/revoke/", account.token_revoke, name="account-token-revoke"),
]
