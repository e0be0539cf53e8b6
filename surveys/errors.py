"""What can go wrong for a respondent, each with its own HTTP status and message.

Views turn these into a page (or a JSON error on the API); services raise them. The
messages are lazy so that they come out in the respondent's language.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class SurveyError(Exception):
    status = 400
    title: str | Promise = _("Something is wrong with this request")
    message: str | Promise = ""
    retry_after: int | None = None  # seconds, for a Retry-After header

    def __init__(self, message: str | Promise | None = None) -> None:
        if message is not None:
            self.message = message
        super().__init__(str(self.message or self.title))


class LinkUnknown(SurveyError):
    status = 404
    title = _("This link is not recognised")
    message = _(
        "Please check that you copied the whole link. If it still does not work, ask the "
        "person who sent it for a new one."
    )


class LinkExpired(SurveyError):
    status = 410
    title = _("This link has expired")
    message = _("The link was valid for a limited time only. Ask the sender for a new one.")


class AlreadySubmitted(SurveyError):
    status = 409
    title = _("Your answers were already received")
    message = _("This questionnaire has been submitted, so it cannot be changed. Thank you!")


class SurveyNotOpen(SurveyError):
    status = 403
    title = _("This survey is not open yet")
    message = _("Please come back once it opens.")


class SurveyClosed(SurveyError):
    status = 410
    title = _("This survey is closed")
    message = _("It no longer accepts answers. Thank you for your interest.")


class LinkRevoked(SurveyError):
    status = 410
    title = _("This link is no longer valid")
    message = _(
        "The people running this survey have replaced or withdrawn it. If you still wish "
        "to answer, please ask them for the current link."
    )


class TooManyResponses(SurveyError):
    status = 429
    title = _("Too many responses from this network")
    message = _(
        "We have received many responses from your network today. If you have not answered "
        "yet, please use a personal link or try again tomorrow."
    )


class GroupLinkLimited(TooManyResponses):
    """A group link's limit per network address or per device is reached (the reply in
    progress is kept: it can be submitted once the day is over)."""

    title = _("This link has received many replies from here today")
    message = _(
        "To keep the results fair, a link accepts only a limited number of replies a day "
        "from one network or one device, and that number has been reached. If you have "
        "not answered yet, please try again tomorrow or ask for a personal link. Thank you "
        "for your patience."
    )

    def __init__(self, *, retry_after: int | None = None) -> None:
        self.retry_after = retry_after
        super().__init__()


class SurveyLocked(SurveyError):
    status = 409
    title = _("The questionnaire can no longer be changed")
    message = _("Questions and wording are frozen once the survey has opened.")


class IncompleteResponse(SurveyError):
    status = 400
    title = _("Some questions still need an answer")

    def __init__(self, pages: list[int]) -> None:
        self.pages = pages
        super().__init__(_("Please complete the pages marked below, then submit again."))


class ReplyInvalid(SurveyError):
    """A reply handed to `surveys.bulk.responses_store_bulk` does not fit the survey. The
    whole call is refused: nothing of it was stored."""

    status = 400
    title = _("A reply does not fit the questionnaire")

    def __init__(self, *, number: int, reference: str, problem: str) -> None:
        self.number = number  # the reply's position among those given, from 1
        self.reference = reference
        self.problem = problem
        if reference:
            reply = _("Reply %(number)d (“%(reference)s”)") % {
                "number": number,
                "reference": reference,
            }
        else:
            reply = _("Reply %(number)d") % {"number": number}
        super().__init__(
            _("%(reply)s: %(problem)s. Nothing was stored.") % {"reply": reply, "problem": problem}
        )
