"""Live links never reach a log: invitation and resume tokens in URLs are masked.

A token in a path (`/s/r/<token>/p/1/`) or a query value (`?next=%2Fs%2Fr%2F<token>%2F`)
opens a respondent's answers, and logs are read by more people, and kept longer, than the
database that stores only digests. Django logs the path of every 4xx and 5xx response
(`django.request`), runserver and gunicorn log every request line; `TokenMaskFilter`, set
on every handler in `settings.LOGGING` (and on gunicorn's, `config/gunicorn.py`, and on
the Celery worker's, `config/celery.py`), keeps the first characters of each token (the
hint the admin shows beside an invitation) and drops the rest, in the message and in the
traceback.
"""

from __future__ import annotations

import logging
import re

from surveys.tokens import HINT_LENGTH, looks_like_token

MASK = "***"

# A token-shaped run (URL-safe base64) right after a path separator, an encoded one, or
# the `=` of a query parameter, and not followed by more of the same alphabet.
_CANDIDATE = re.compile(
    r"(?P<lead>/|%2[Ff]|[?&;][^=&#\s/]*=)(?P<value>[A-Za-z0-9_-]{16,})(?![A-Za-z0-9_-])"
)


def _is_token(value: str) -> bool:
    # The site's own path words are lowercase (`stakeholdergroup`, `export-jobs`); a real
    # token is 32 random URL-safe characters, of which at least one is an uppercase letter
    # or a digit but for a chance of about 3 in a million million.
    return looks_like_token(value) and any(c.isupper() or c.isdigit() for c in value)


def _masked(match: re.Match[str]) -> str:
    value = match["value"]
    if not _is_token(value):
        return match[0]
    return f"{match['lead']}{value[:HINT_LENGTH]}{MASK}"


def mask_tokens(text: str) -> str:
    """*text* with every token in a URL path or query value cut to its hint."""
    return _CANDIDATE.sub(_masked, text)


class TokenMaskFilter(logging.Filter):
    """Masks tokens in a record's message and traceback; never drops a record.

    The record is changed in place, so every handler after this one sees it masked too."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_tokens(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_tokens(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_tokens(record.stack_info)
        return True


def mask_handlers(logger: logging.Logger) -> None:
    """Put a `TokenMaskFilter` on every handler of *logger* that has none: for handlers
    made outside `settings.LOGGING` (a Celery worker replaces the root logger's)."""
    for handler in logger.handlers:
        if not any(isinstance(f, TokenMaskFilter) for f in handler.filters):
            handler.addFilter(TokenMaskFilter())
