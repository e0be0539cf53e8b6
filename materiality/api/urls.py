"""The API's addresses: one module per part of the product, each with its own
``urlpatterns``; the schema and its documentation pages."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from materiality.api import (
    account,
    assessments,
    docs,
    double,
    invitations,
    reports,
    respond,
    review,
    runs,
    transfers,
    vocabulary,
)

urlpatterns = [
    *vocabulary.urlpatterns,
    *account.urlpatterns,
    *assessments.urlpatterns,
    *invitations.urlpatterns,
    *respond.urlpatterns,
    *runs.urlpatterns,
    *review.urlpatterns,
    *transfers.urlpatterns,
    *reports.urlpatterns,
    *double.urlpatterns,
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", docs.ApiDocsView.as_view(url_name="api-schema"), name="api-docs"),
]
