"""The questionnaire engine: surveys, questions, invitations, responses and answers.

Nothing here knows about ESG. A survey is a list of questions of a few kinds; grid
questions have rows and columns, choice questions have choices, each with a stable code
and a label per language. A response holds one typed row per answer. Database
constraints guard what must never be wrong whatever the code above does: one answer per
cell, ratings on the engine's scale, one response per personal invitation.

Why one module of this size: the engine's tables and the constraints between them read
best together, and Django finds them here; the kept counts' models are at the end.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from surveys.translations import TranslatedTextField, pick

# Every rating scale lives inside these bounds; a question narrows them.
SCALE_FLOOR = 0
SCALE_CEILING = 10
CODE_MAX_LENGTH = 64
# Completed replies a group link accepts per day from one network address (a whole
# office behind one NAT) and from one device (docs/operations.md, "Group links").
GROUP_LINK_LIMIT_PER_ADDRESS = 300
GROUP_LINK_LIMIT_PER_DEVICE = 3


class Availability(StrEnum):
    OPEN = "open"
    NOT_YET_OPEN = "not_yet_open"
    CLOSED = "closed"


class SurveyStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class Survey(models.Model):
    title = TranslatedTextField(_("title"), text_max_length=200)
    intro = TranslatedTextField(
        _("introduction"),
        blank=True,
        multiline=True,
        help_text=_("What the survey is for, shown before the first question."),
    )
    privacy_notice = TranslatedTextField(_("privacy notice"), blank=True, multiline=True)
    thanks = TranslatedTextField(_("thank-you text"), blank=True, multiline=True)
    languages = models.JSONField(
        _("languages"), default=list, help_text=_("Language codes respondents may choose.")
    )
    status = models.CharField(
        _("status"), max_length=16, choices=SurveyStatus.choices, default=SurveyStatus.DRAFT
    )
    opens_at = models.DateTimeField(_("opens at"), null=True, blank=True)
    closes_at = models.DateTimeField(_("closes at"), null=True, blank=True)
    anonymous = models.BooleanField(
        _("anonymous"),
        default=True,
        help_text=_("Anonymous surveys keep no link from a response to a person."),
    )
    estimated_minutes = models.PositiveSmallIntegerField(_("estimated minutes"), default=10)
    allow_open_link = models.BooleanField(
        _("allow an open link"),
        default=False,
        help_text=_("A public link where respondents choose their group themselves."),
    )
    # Group links (shared and open) are public: these limit what one place or one device
    # can submit through them (docs/operations.md, "Group links").
    group_link_limit_per_address = models.PositiveIntegerField(
        _("replies per network address and day on group links"),
        default=GROUP_LINK_LIMIT_PER_ADDRESS,
        help_text=_(
            "A company's staff often share one address: keep this generous. 0 means no limit."
        ),
    )
    group_link_limit_per_device = models.PositiveIntegerField(
        _("replies per device and day on group links"),
        default=GROUP_LINK_LIMIT_PER_DEVICE,
        help_text=_("A device is one browser, known by a cookie. 0 means no limit."),
    )
    straight_line_min_cells = models.PositiveSmallIntegerField(
        _("fewest rated cells for straight-lining"),
        null=True,
        blank=True,
        validators=[MinValueValidator(2)],
        help_text=_(
            "A reply that gives the same rating to every grid cell it rates is flagged as "
            "straight-lined only if it rates at least this many cells. Empty: half of the "
            "grid, and at least 4."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")

    def __str__(self) -> str:
        return pick(self.title)

    def availability(self, now: datetime | None = None) -> Availability:
        """Whether respondents can answer now, and if not, why."""
        moment = now or timezone.now()
        if self.status == SurveyStatus.DRAFT or (self.opens_at and moment < self.opens_at):
            return Availability.NOT_YET_OPEN
        if self.status == SurveyStatus.CLOSED or (self.closes_at and moment >= self.closes_at):
            return Availability.CLOSED
        return Availability.OPEN


class QuestionKind(models.TextChoices):
    GRID = "grid", _("Rating grid (rows × columns on a scale)")
    SINGLE = "single", _("Single choice")
    MULTIPLE = "multiple", _("Multiple choice")
    RATING = "rating", _("Rating")
    TEXT = "text", _("Free text")


class QuestionPurpose(models.TextChoices):
    RESPONDENT_GROUP = "respondent_group", _("The respondent's group")
    RESPONDENT_SIDE = "respondent_side", _("Internal or external respondent")


class Question(models.Model):
    survey = models.ForeignKey(
        Survey, verbose_name=_("survey"), on_delete=models.CASCADE, related_name="questions"
    )
    code = models.SlugField(_("code"), max_length=CODE_MAX_LENGTH)
    kind = models.CharField(_("kind"), max_length=16, choices=QuestionKind.choices)
    text = TranslatedTextField(_("question"), multiline=True)
    help_text = TranslatedTextField(_("help text"), blank=True, multiline=True)
    required = models.BooleanField(_("required"), default=False)
    order = models.PositiveIntegerField(_("order"), default=0)
    page = models.PositiveSmallIntegerField(
        _("page"), default=1, help_text=_("Questions on the same page are shown together.")
    )
    scale_min = models.SmallIntegerField(
        _("scale minimum"),
        default=1,
        validators=[MinValueValidator(SCALE_FLOOR), MaxValueValidator(SCALE_CEILING)],
    )
    scale_max = models.SmallIntegerField(
        _("scale maximum"),
        default=5,
        validators=[MinValueValidator(SCALE_FLOOR), MaxValueValidator(SCALE_CEILING)],
    )
    scale_labels = models.JSONField(
        _("scale labels"),
        default=dict,
        blank=True,
        help_text=_('Labels per level and language, e.g. {"1": {"en": "Not important"}}.'),
    )
    allow_dont_know = models.BooleanField(_("offer “don't know”"), default=False)
    row_comments = models.BooleanField(
        _("comment per row"),
        default=False,
        help_text=_("Grid questions: an optional comment box under each row."),
    )
    purpose = models.CharField(
        _("purpose"),
        max_length=24,
        choices=QuestionPurpose.choices,
        blank=True,
        help_text=_("Answers to this question also describe the respondent."),
    )
    max_length = models.PositiveIntegerField(_("maximum text length"), default=2000)
    retired = models.BooleanField(
        _("retired"), default=False, help_text=_("Retired questions are no longer asked.")
    )

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        constraints = [
            models.UniqueConstraint(fields=["survey", "code"], name="unique_question_code"),
            models.CheckConstraint(
                condition=Q(scale_min__gte=SCALE_FLOOR)
                & Q(scale_max__lte=SCALE_CEILING)
                & Q(scale_min__lt=F("scale_max")),
                name="question_scale_within_bounds",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code}: {pick(self.text)}"

    @property
    def scale(self) -> range:
        return range(self.scale_min, self.scale_max + 1)

    def scale_label(self, level: int, language: str | None = None) -> str:
        return pick(self.scale_labels.get(str(level)), language)


class OptionRole(models.TextChoices):
    ROW = "row", _("Row")
    COLUMN = "column", _("Column")
    CHOICE = "choice", _("Choice")


class QuestionOption(models.Model):
    """A grid row, a grid column or a choice: each with a stable code (what answers and
    exports use) and a label per language."""

    question = models.ForeignKey(
        Question, verbose_name=_("question"), on_delete=models.CASCADE, related_name="options"
    )
    role = models.CharField(_("role"), max_length=8, choices=OptionRole.choices)
    code = models.SlugField(_("code"), max_length=CODE_MAX_LENGTH)
    label = TranslatedTextField(_("label"))
    description = TranslatedTextField(_("description"), blank=True, multiline=True)
    score = models.SmallIntegerField(
        _("score"),
        null=True,
        blank=True,
        help_text=_("For ordinal choices: the number used for means (e.g. good = 5)."),
    )
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("option")
        verbose_name_plural = _("options")
        constraints = [
            models.UniqueConstraint(fields=["question", "role", "code"], name="unique_option_code"),
        ]

    def __str__(self) -> str:
        return f"{self.role} {self.code}"


class InvitationKind(models.TextChoices):
    PERSONAL = "personal", _("Personal (one response)")
    SHARED = "shared", _("Shared link for a group")
    OPEN = "open", _("Open link (respondent picks the group)")


class Invitation(models.Model):
    """A link to a survey. The token itself is shown once and only its hash is kept."""

    survey = models.ForeignKey(
        Survey, verbose_name=_("survey"), on_delete=models.CASCADE, related_name="invitations"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=InvitationKind.choices)
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True, editable=False)
    token_salt = models.CharField(_("token salt"), max_length=32, editable=False)
    token_hint = models.CharField(
        _("token hint"),
        max_length=8,
        editable=False,
        help_text=_("The token's first characters, to tell links apart."),
    )
    email = models.EmailField(_("e-mail"), blank=True)
    respondent_group = models.CharField(_("group"), max_length=CODE_MAX_LENGTH, blank=True)
    respondent_internal = models.BooleanField(_("internal"), null=True, blank=True)
    language = models.CharField(_("language"), max_length=16, blank=True)
    label = models.CharField(_("label"), max_length=200, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    # A revoked link answers "no longer valid", and so do its replies in progress; the
    # replies submitted through it stay.
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)
    send_error = models.TextField(_("sending error"), blank=True)
    # Set once, by the submit that wins: a personal link yields one response, ever, even
    # where the response itself keeps no link back to the invitation (anonymous surveys).
    responded_at = models.DateTimeField(_("responded at"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        indexes = [models.Index(fields=["survey", "kind", "respondent_group"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind=InvitationKind.SHARED) | ~Q(respondent_group=""),
                name="shared_invitation_has_group",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.token_hint}…"

    def is_expired(self) -> bool:
        return bool(self.expires_at and timezone.now() >= self.expires_at)


class ResponseStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", _("In progress")
    SUBMITTED = "submitted", _("Submitted")


class ResponseSource(models.TextChoices):
    WEB = "web", _("Web form")
    IMPORT = "import", _("Imported")


class Response(models.Model):
    """One respondent's answers. The respondent's group and side (internal/external) are
    kept here, so the answers of many replies are counted in one grouped query over
    answers joined to responses (`surveys.tallies`) rather than a look-up per reply."""

    survey = models.ForeignKey(
        Survey, verbose_name=_("survey"), on_delete=models.CASCADE, related_name="responses"
    )
    # The link the response came by: kept while it is in progress (a revoked link stops
    # it); in an anonymous survey cut when it is submitted.
    invitation = models.ForeignKey(
        Invitation,
        verbose_name=_("invitation"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="responses",
    )
    # The response in progress behind a personal invitation (one, by the database). In an
    # anonymous survey the link is cut when the response is submitted.
    personal_invitation = models.OneToOneField(
        Invitation,
        verbose_name=_("personal invitation"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="personal_response",
        editable=False,
    )
    resume_hash = models.CharField(
        _("resume link hash"), max_length=64, unique=True, editable=False
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ResponseStatus.choices,
        default=ResponseStatus.IN_PROGRESS,
    )
    source = models.CharField(
        _("source"), max_length=16, choices=ResponseSource.choices, default="web"
    )
    source_reference = models.CharField(
        pgettext_lazy("where an imported reply came from", "reference"),
        max_length=200,
        blank=True,
    )
    language = models.CharField(_("language"), max_length=16, blank=True)
    respondent_group = models.CharField(_("group"), max_length=CODE_MAX_LENGTH, blank=True)
    respondent_internal = models.BooleanField(_("internal"), null=True)
    # True when the link said who the respondent is (a group link, a personal invitation):
    # then the questions about the respondent are not asked.
    respondent_fixed = models.BooleanField(_("respondent given by the link"), default=False)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(_("duration (seconds)"), null=True, blank=True)
    # Same rating on every rated grid cell (see surveys.services.is_straight_lined).
    straight_lined = models.BooleanField(_("straight-lined"), default=False)
    # While a reply begun on a group link is in progress: keyed digests of its network
    # address and device, which its submit counts against the link's limits. Emptied
    # when it is submitted, so submitted replies keep no mark of where they came from.
    limit_address = models.CharField(max_length=64, blank=True, editable=False)
    limit_device = models.CharField(max_length=64, blank=True, editable=False)
    # Only ever stored with the respondent's explicit consent to be contacted.
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    # Which fold of the survey's rating counts took this response in (see
    # surveys.tallies); null until then. Set once, by the fold only.
    tally_batch = models.PositiveIntegerField(
        _("counting batch"), null=True, blank=True, editable=False
    )

    class Meta:
        ordering = ["started_at", "pk"]
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        indexes = [
            models.Index(
                fields=["survey", "status", "respondent_group", "respondent_internal"],
                name="response_survey_group_idx",
            ),
            # The fold finds responses not yet counted, and the ones of one fold.
            models.Index(fields=["survey", "tally_batch", "id"], name="response_survey_tally_idx"),
            # The median completion time of the counted replies, and those under the
            # too-fast limit. Partial: a submit never writes to it, only a fold does.
            models.Index(
                fields=["survey", "duration_seconds"],
                condition=Q(tally_batch__isnull=False),
                name="response_counted_duration_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status=ResponseStatus.IN_PROGRESS) | Q(submitted_at__isnull=False),
                name="submitted_response_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"Response {self.pk} ({self.status})"


class Answer(models.Model):
    """One answer: a rating cell (row × column), a choice, a rating or a text.

    ``row_code``/``column_code`` are "" where the question has no rows/columns; a choice
    answer stores the chosen code in ``column_code`` (one row per chosen code for
    multiple choice). "Don't know" is its own flag, never a rating.
    """

    # No index of its own: the unique constraint below starts with the response, and
    # serves every lookup by response; a second index cost every answer stored (an
    # import of 100,000 replies stores 3.6 million) an entry more.
    response = models.ForeignKey(
        Response,
        verbose_name=_("response"),
        on_delete=models.CASCADE,
        related_name="answers",
        db_index=False,
    )
    question = models.ForeignKey(
        Question, verbose_name=_("question"), on_delete=models.CASCADE, related_name="answers"
    )
    row_code = models.CharField(_("row code"), max_length=CODE_MAX_LENGTH, blank=True, default="")
    column_code = models.CharField(
        _("column code"), max_length=CODE_MAX_LENGTH, blank=True, default=""
    )
    value = models.SmallIntegerField(_("value"), null=True, blank=True)
    dont_know = models.BooleanField(_("don't know"), default=False)
    text = models.TextField(_("text"), blank=True, default="")

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(
                fields=["response", "question", "row_code", "column_code"],
                name="one_answer_per_cell",
            ),
            models.CheckConstraint(
                condition=Q(value__isnull=True)
                | Q(value__gte=SCALE_FLOOR, value__lte=SCALE_CEILING),
                name="answer_value_on_scale",
            ),
            models.CheckConstraint(
                condition=~Q(dont_know=True) | Q(value__isnull=True),
                name="dont_know_is_not_a_rating",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.question_id}/{self.row_code}/{self.column_code}"


class RatingTally(models.Model):
    """The bookkeeping of a survey's rating counts (`RatingCount`), one row per survey.

    Its row is the lock a fold takes. ``responses`` is how many responses the counts
    hold; ``stale`` says they must be counted again before they are read (replies were
    erased since)."""

    survey = models.OneToOneField(
        Survey,
        verbose_name=_("survey"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="rating_tally",
    )
    responses = models.PositiveIntegerField(_("responses counted"), default=0)
    batches = models.PositiveIntegerField(_("batches"), default=0)
    stale = models.BooleanField(_("to be counted again"), default=False)
    rebuilt_at = models.DateTimeField(_("counted again at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("rating tally")
        verbose_name_plural = _("rating tallies")

    def __str__(self) -> str:
        return f"Rating tally of survey {self.survey_id}: {self.responses} responses"


# What a rating count is kept per (its unique key); `surveys.tallies` reads and writes
# counts by these fields, in this order.
RATING_COUNT_KEY = (
    "question",
    "row_code",
    "column_code",
    "respondent_group",
    "respondent_side",
    "straight_lined",
    "duration_band",
    "value",
)


class RatingCount(models.Model):
    """How many counted responses gave ``value`` in one cell of a grid question, per
    respondent group, side, straight-lined flag and band of completion time. Kept by
    `surveys.tallies`, read instead of the answers: a grid's statistics need only how
    often each level occurs."""

    # No index of their own: `rating_count_survey_idx` starts with the survey and the
    # unique key's index with the question, and each index more costs every fold's
    # INSERT and a new connection one more relation to open.
    survey = models.ForeignKey(
        Survey,
        verbose_name=_("survey"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    question = models.ForeignKey(
        Question,
        verbose_name=_("question"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    row_code = models.CharField(_("row code"), max_length=CODE_MAX_LENGTH)
    column_code = models.CharField(_("column code"), max_length=CODE_MAX_LENGTH)
    respondent_group = models.CharField(_("group"), max_length=CODE_MAX_LENGTH, blank=True)
    # "internal", "external" or "" (not known): a text, so that the key has no null.
    respondent_side = models.CharField(_("internal or external"), max_length=8, blank=True)
    straight_lined = models.BooleanField(_("straight-lined"))
    # `surveys.tallies.duration_band` of the completion time; -1 when there is none.
    duration_band = models.SmallIntegerField(_("completion-time band"))
    value = models.SmallIntegerField(_("value"))
    n = models.PositiveIntegerField(_("count"))

    class Meta:
        verbose_name = _("rating count")
        verbose_name_plural = _("rating counts")
        constraints = [
            models.UniqueConstraint(fields=RATING_COUNT_KEY, name="one_rating_count_per_key"),
            models.CheckConstraint(condition=Q(n__gt=0), name="rating_count_positive"),
        ]
        indexes = [models.Index(fields=["survey", "question"], name="rating_count_survey_idx")]

    def __str__(self) -> str:
        return f"{self.question_id}/{self.row_code}/{self.column_code}={self.value}: {self.n}"


DURATION_COUNT_KEY = ("survey", "timed", "duration_seconds", "straight_lined")


class DurationCount(models.Model):
    """How many counted responses took ``duration_seconds`` to complete, per
    straight-lined flag: the median completion time and the replies a reader leaves out
    are read from these few rows instead of from every response."""

    survey = models.ForeignKey(
        Survey, verbose_name=_("survey"), on_delete=models.CASCADE, related_name="+"
    )
    # False for responses without a completion time (imported ones may have none);
    # their duration_seconds is 0, so that the key has no null.
    timed = models.BooleanField(_("with a completion time"))
    duration_seconds = models.PositiveIntegerField(_("duration (seconds)"))
    straight_lined = models.BooleanField(_("straight-lined"))
    n = models.PositiveIntegerField(_("count"))

    class Meta:
        verbose_name = _("duration count")
        verbose_name_plural = _("duration counts")
        constraints = [
            models.UniqueConstraint(fields=DURATION_COUNT_KEY, name="one_duration_count_per_key"),
            models.CheckConstraint(condition=Q(n__gt=0), name="duration_count_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.duration_seconds} s: {self.n}"
