"""Live links never reach a log: invitation and resume tokens in URLs are masked.

A token in a path (`/s/r/<token>/p/1/`) or a query value (`?next=%2Fs%2Fr%2F<token>%2F`)
opens a respondent's answers, and logs are read by more people, and kept longer, than the
database that stores only digests. Django logs the path of every 4xx and 5xx response
(`django.request`), runserver and gunicorn log every request line; `TokenMaskFilter`, set
on every handler in `settings.LOGGING` (and on gunicorn's, `config/gunicorn.py`, and on
the Celery worker's, `config/celery.py`), keeps the first characters of each token (the
hint the admin shows beside an invitation) and drops the rest, in the message and in the
traceback.

Two more filters keep failures an operator expects to one line each, without a
traceback: a body over a size limit (a WARNING: the client's doing) and a 503 while the
database cannot be reached (an ERROR per request, naming the error).
"""

from __future__ import annotations

import logging
import re

from config.errors import database_unavailable
from surveys.tokens import HINT_LENGTH, looks_like_token

MASK = "***"

# A token-shaped run (URL-safe base64), not followed by more of the same alphabet, right
# after: a path separator; the `=` of a query parameter; a `,`, `:` or `+` (a space)
# inside a query value; or any of `/ , + : =` percent-encoded, once or more (`%2F`,
# `%252F`: a `next=` inside a `next=`).
_CANDIDATE = re.compile(
    r"(?P<lead>/|[?&;][^=&#\s/]*=|[,:+]|%(?:25)*(?:2[FfCcBb]|3[AaDd]))"
    r"(?P<value>[A-Za-z0-9_-]{16,})(?![A-Za-z0-9_-])"
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


class ClientErrorFilter(logging.Filter):
    """Django's ERROR, with a traceback, for a request body over a limit (too big, too
    many fields or files: `django.security.RequestDataTooBig` and the like, set on those
    loggers in `settings.LOGGING`) as a WARNING line: the client's doing, answered 400,
    nothing for an operator to mend."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.levelno, record.levelname = logging.WARNING, logging.getLevelName(logging.WARNING)
        record.exc_info, record.exc_text = None, None
        return True


class DatabaseOutageFilter(logging.Filter):
    """Django's ERROR for a 503 while the database cannot be reached (`config.errors`) as
    one line naming the error, without its traceback: an outage answers every request
    with one, the same each time. Set on `django.request` in `settings.LOGGING`; any other
    error keeps its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if getattr(record, "status_code", None) == 503 and database_unavailable(error):
            words = str(error).strip().splitlines()
            record.msg = (
                f"{record.getMessage()} ({type(error).__name__}: {words[0] if words else ''})"
            )
            record.args = None
            record.exc_info, record.exc_text = None, None
        return True


def mask_handlers(logger: logging.Logger) -> None:
    """Put a `TokenMaskFilter` on every handler of *logger* that has none: for handlers
    made outside `settings.LOGGING` (a Celery worker replaces the root logger's)."""
    for handler in logger.handlers:
        if not any(isinstance(f, TokenMaskFilter) for f in handler.filters):
            handler.addFilter(TokenMaskFilter())
