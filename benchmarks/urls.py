"""The site's URLs plus the bare baseline view; used only by benchmarks.settings.

The bare view comes first so that resolving it costs the baseline as little as possible:
the baseline is the floor the real path is measured against, so it gets no handicap.
"""

from django.urls import path

from benchmarks.views import bare_submit
from config.urls import urlpatterns as site_urlpatterns

urlpatterns = [
    path("bench/bare-submit/", bare_submit, name="bench-bare-submit"),
    *site_urlpatterns,
]
