from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from config.signout import LogoutView
from materiality.signin import AdminSigninForm, SigninView
from materiality.views import feedback
from materiality.views.assessments import home

admin.site.site_header = "Materia"
admin.site.site_title = "Materia"
admin.site.login_form = AdminSigninForm

urlpatterns = [
    path("", home, name="home"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/login/", SigninView.as_view(), name="login"),
    path("accounts/logout/", LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("s/", include("surveys.urls")),
    path("", include("materiality.urls")),
    path("dma/", include("materiality.double.urls")),
    path("f/<slug:code>/", feedback.feedback_form, name="feedback-form"),
    path("f/<slug:code>/thanks/", feedback.feedback_thanks, name="feedback-thanks"),
    path("api/", include("materiality.api.urls")),
]

# Error pages in the visitor's language, JSON under /api/, none needing the database.
handler400 = "config.errors.bad_request"
handler403 = "config.errors.permission_denied"
handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
