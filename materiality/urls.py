from django.urls import path

from materiality import views

app_name = "materiality"

urlpatterns = [
    path("", views.assessment_list, name="assessments"),
    path("new/", views.assessment_new, name="assessment-new"),
    path("<int:pk>/", views.assessment_detail, name="assessment"),
    path("<int:pk>/edit/", views.assessment_edit, name="assessment-edit"),
    path("<int:pk>/progress.json", views.assessment_progress, name="assessment-progress"),
    path("<int:pk>/runs/", views.run_request, name="run-request"),
    path("<int:pk>/runs/status.json", views.run_status, name="run-status"),
    path("<int:pk>/results/", views.results, name="results"),
    path("<int:pk>/runs/<int:run_id>/matrix.<str:fmt>", views.run_matrix, name="run-matrix"),
    path("<int:pk>/runs/<int:run_id>/submit/", views.run_submit, name="run-submit"),
    path("<int:pk>/runs/<int:run_id>/confirm/", views.run_confirm_view, name="run-confirm"),
    path("<int:pk>/runs/<int:run_id>/send-back/", views.run_send_back_view, name="run-send-back"),
    path("<int:pk>/status/<str:action>/", views.assessment_status, name="assessment-status"),
    path("<int:pk>/links/<str:kind>/", views.link_create, name="link-create"),
    path(
        "<int:pk>/links/<int:invitation_pk>/qr.<str:fmt>",
        views.link_qr,
        name="link-qr",
    ),
    path("<int:pk>/invitations/upload/", views.invitations_upload, name="invitations-upload"),
    path("<int:pk>/invitations/<str:action>/", views.invitations_mail, name="invitations-mail"),
]
