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
    path("<int:pk>/<str:action>/", views.assessment_status, name="assessment-status"),
    path("<int:pk>/links/<str:kind>/", views.link_create, name="link-create"),
    path(
        "<int:pk>/links/<int:invitation_pk>/qr.<str:fmt>",
        views.link_qr,
        name="link-qr",
    ),
    path("<int:pk>/invitations/upload/", views.invitations_upload, name="invitations-upload"),
    path("<int:pk>/invitations/<str:action>/", views.invitations_mail, name="invitations-mail"),
]
