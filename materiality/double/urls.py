"""The double materiality pages, under /dma/."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from materiality.double.views import matrix as matrix_views
from materiality.double.views import methodology as methodology_views
from materiality.double.views import outputs as outputs_views
from materiality.double.views import rating as rating_views
from materiality.double.views import register as register_views
from materiality.double.views import results as results_views
from materiality.double.views import review as review_views
from materiality.double.views import setup as setup_views

app_name = "double"

urlpatterns: list[URLPattern | URLResolver] = [
    # setup and register pages (materiality/double/views/setup.py, register.py)
    path("", setup_views.dma_list, name="dmas"),
    path("new/", setup_views.dma_new, name="dma-new"),
    path("<int:pk>/", setup_views.dma_detail, name="dma"),
    path("<int:pk>/edit/", setup_views.dma_edit, name="dma-edit"),
    path("<int:pk>/context/", setup_views.dma_context, name="dma-context"),
    path("<int:pk>/matters/new/", setup_views.matter_new, name="matter-new"),
    path("<int:pk>/start-rating/", setup_views.dma_start, name="dma-start-rating"),
    path("<int:pk>/raters/", setup_views.raters, name="raters"),
    path("<int:pk>/raters/<int:rater_id>/remove/", setup_views.rater_delete, name="rater-remove"),
    path("<int:pk>/register/", register_views.register, name="register"),
    path("<int:pk>/register/new/", register_views.iro_new, name="iro-new"),
    path("<int:pk>/register/<int:iro_id>/", register_views.iro_edit, name="iro-edit"),
    path("<int:pk>/register.xlsx", register_views.register_download, name="register-xlsx"),
    path("<int:pk>/register/upload/", register_views.register_upload, name="register-upload"),
    # rating and results pages (materiality/double/views/rating.py, results.py)
    path("<int:pk>/rate/", rating_views.rating_list, name="rate"),
    path("<int:pk>/rate/<int:iro_id>/", rating_views.rating_iro, name="rate-iro"),
    path("<int:pk>/results/", results_views.results, name="results"),
    path("<int:pk>/matrix.<str:fmt>", matrix_views.matrix, name="matrix"),
    path("<int:pk>/methodology/", methodology_views.methodology, name="methodology"),
    # review steps, as forms on the results page (materiality/double/views/review.py)
    path("<int:pk>/close-rating/", review_views.close_rating, name="dma-close-rating"),
    path("<int:pk>/results/<int:matter_id>/decision/", review_views.decision, name="decision-new"),
    path("<int:pk>/review/submit/", review_views.submit, name="review-submit"),
    path("<int:pk>/review/approve/", review_views.approve, name="review-approve"),
    path("<int:pk>/review/send-back/", review_views.send_back, name="review-send-back"),
    # outputs of an approved DMA (materiality/double/views/outputs.py)
    path("<int:pk>/outputs/", outputs_views.outputs, name="outputs"),
    path(
        "<int:pk>/outputs/<str:document>.<str:fmt>",
        outputs_views.outputs_file,
        name="outputs-file",
    ),
    path("<int:pk>/outputs/texts/<str:which>/", outputs_views.outputs_text, name="outputs-text"),
    path("<int:pk>/outputs/topics/", outputs_views.outputs_topics, name="outputs-topics"),
    path(
        "<int:pk>/outputs/topics/<int:matter_id>/checklist/",
        outputs_views.outputs_checklist,
        name="outputs-checklist",
    ),
]
