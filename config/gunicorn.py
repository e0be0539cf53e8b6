"""gunicorn's settings for Materia: `gunicorn -c python:config.gunicorn config.wsgi …`.

gunicorn writes request lines (its access log, `--access-logfile`) and the path of a
request that failed (its error log) through handlers of its own, outside Django's
LOGGING; `MaskingLogger` puts the token mask of `config/logs.py` on each of them, so no
live invitation or resume link is written there either.
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from config.logs import TokenMaskFilter


class MaskingLogger(Logger):
    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                if not any(isinstance(f, TokenMaskFilter) for f in handler.filters):
                    handler.addFilter(TokenMaskFilter())


logger_class = MaskingLogger
