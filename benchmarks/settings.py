"""Settings of the benchmark server: the site's own settings, plus a URLconf that also
mounts the bare baseline view (benchmarks/urls.py). Nothing else differs.

STYLE.md counts settings files that star-import each other among the traps, and the
site keeps one settings module. This one is the exception because it is never deployed:
the benchmark starts its server with it (DJANGO_SETTINGS_MODULE=benchmarks.settings) and
it refuses to load without MATERIA_BENCHMARK=1, so a mistaken DJANGO_SETTINGS_MODULE
cannot put an unvalidated insert view on a real site. The alternative, a ROOT_URLCONF
environment variable in config/settings.py, would make that view one variable away from
production.
"""

from django.core.exceptions import ImproperlyConfigured

from config.environment import env_bool
from config.settings import *  # noqa: F403

if not env_bool("MATERIA_BENCHMARK", False):
    raise ImproperlyConfigured(
        "benchmarks.settings is for the benchmark server only (set MATERIA_BENCHMARK=1); "
        "the site runs with config.settings."
    )

ROOT_URLCONF = "benchmarks.urls"
