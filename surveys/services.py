"""Writes of the questionnaire engine: the one writer of its tables. Views, the API,
the importer and the demo call these, whoever collected the answers; whole responses
stored many at a time (an import, the demo's replies) go through `surveys.bulk`, which
checks them against the questionnaire and keeps the same bookkeeping as a submit.

Every function that changes several rows runs in one transaction. Submitting is a
conditional UPDATE (in progress → submitted) so that of two concurrent submits exactly
one wins, whatever the timing; the other gets `AlreadySubmitted`.

Why one module of this size: it is the engine's one door for writes (surveys, questions,
invitations, responses); splitting it would scatter that door. The bulk path, the
largest part that stands on its own, is in `surveys.bulk`.
"""

from __future__ import annotations

import functools
import logging
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Max, Min, Q, QuerySet
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from surveys.errors import (
    AlreadySubmitted,
    GroupLinkLimited,
    IncompleteResponse,
    LinkExpired,
    LinkRevoked,
    LinkUnknown,
    SurveyClosed,
    SurveyLocked,
    SurveyNotOpen,
)
from surveys.models import (
    Answer,
    Availability,
    Invitation,
    InvitationKind,
    OptionRole,
    Question,
    QuestionKind,
    QuestionOption,
    QuestionPurpose,
    Response,
    ResponseStatus,
    Survey,
    SurveyStatus,
)
from surveys.plaintext import plain_text
from surveys.precompiled import CompiledStatement, PrecompiledGet
from surveys.ratelimits import counts, hit, seconds_left, unhit
from surveys.selectors import (
    AnswerScope,
    Questionnaire,
    missing_pages,
    questionnaire_load,
    response_answers,
)
from surveys.tallies import tally_mark_stale
from surveys.tokens import (
    derived_token,
    find_derived_token,
    looks_like_token,
    new_salt,
    new_token,
    token_digest,
    token_hint,
)

logger = logging.getLogger(__name__)

# Identical ratings on a handful of cells are no evidence of inattention: by default the
# flag needs at least this many rated cells, and at least half of the grid. A survey may
# set its own minimum (`Survey.straight_line_min_cells`), never below STRAIGHT_LINE_LOWEST.
STRAIGHT_LINE_MIN_CELLS = 4
STRAIGHT_LINE_LOWEST = 2
# The group links' limits count replies per day.
GROUP_LINK_WINDOW = 24 * 3600


def straight_line_minimum(grid_cells: int, minimum: int | None = None) -> int:
    """How many rated cells a reply needs to count as straight-lined: the survey's own
    `minimum`, or by default half of the grid and at least STRAIGHT_LINE_MIN_CELLS."""
    if minimum is not None:
        return minimum
    return max(STRAIGHT_LINE_MIN_CELLS, math.ceil(grid_cells / 2))


def is_straight_lined(ratings: Sequence[int], grid_cells: int, minimum: int | None = None) -> bool:
    """Every rating in the grid is the same, over enough of the grid to mean something
    (docs/methodology.md, "Quality filters"). "Don't know" is not a rating."""
    enough = straight_line_minimum(grid_cells, minimum)
    return len(ratings) >= enough and len(set(ratings)) == 1


# --- Building a questionnaire ---------------------------------------------------------


@dataclass(frozen=True)
class OptionSpec:
    code: str
    label: Mapping[str, str]
    description: Mapping[str, str] = field(default_factory=dict)
    score: int | None = None


@dataclass(frozen=True)
class QuestionSpec:
    code: str
    kind: str
    text: Mapping[str, str]
    help_text: Mapping[str, str] = field(default_factory=dict)
    required: bool = False
    page: int = 1
    rows: Sequence[OptionSpec] = ()
    columns: Sequence[OptionSpec] = ()
    choices: Sequence[OptionSpec] = ()
    scale_min: int = 1
    scale_max: int = 5
    scale_labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    allow_dont_know: bool = False
    row_comments: bool = False
    max_length: int = 2000
    purpose: str = ""


def survey_set_questions(*, survey: Survey, questions: Sequence[QuestionSpec]) -> None:
    """Replace a draft survey's questions. Refused once the survey has opened: answers
    must keep meaning what respondents were shown."""
    with transaction.atomic():
        locked = _editable(survey.pk)
        Question.objects.filter(survey=locked).delete()
        options: list[QuestionOption] = []
        for order, spec in enumerate(questions, start=1):
            options.extend(_question_create(locked, spec, order=order * 10)[1])
        QuestionOption.objects.bulk_create(options)


def _question_create(
    survey: Survey, spec: QuestionSpec, *, order: int
) -> tuple[Question, list[QuestionOption]]:
    """Store the question `spec` describes, with everything it says; its rows, columns
    and choices come back unsaved, for the caller's one bulk insert."""
    question = Question.objects.create(
        survey=survey,
        code=spec.code,
        kind=spec.kind,
        text=dict(spec.text),
        help_text=dict(spec.help_text),
        required=spec.required,
        order=order,
        page=spec.page,
        scale_min=spec.scale_min,
        scale_max=spec.scale_max,
        scale_labels={k: dict(v) for k, v in spec.scale_labels.items()},
        allow_dont_know=spec.allow_dont_know,
        row_comments=spec.row_comments,
        max_length=spec.max_length,
        purpose=spec.purpose,
    )
    options = [
        QuestionOption(
            question=question,
            role=role,
            code=option.code,
            label=dict(option.label),
            description=dict(option.description),
            score=option.score,
            order=position,
        )
        for role, specs in (
            (OptionRole.ROW, spec.rows),
            (OptionRole.COLUMN, spec.columns),
            (OptionRole.CHOICE, spec.choices),
        )
        for position, option in enumerate(specs, start=1)
    ]
    return question, options


# What a caller may set on a survey; its status moves only through open and close.
SURVEY_SETTINGS = frozenset(
    {
        "title",
        "intro",
        "privacy_notice",
        "thanks",
        "languages",
        "opens_at",
        "closes_at",
        "anonymous",
        "estimated_minutes",
        "allow_open_link",
        "group_link_limit_per_address",
        "group_link_limit_per_device",
        "straight_line_min_cells",
    }
)


def _survey_settings(values: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(values) - SURVEY_SETTINGS
    if unknown:
        raise TypeError(f"Not a survey setting: {', '.join(sorted(unknown))}")
    return dict(values)


def survey_create(**settings: Any) -> Survey:
    """A new draft survey with the given settings (names in SURVEY_SETTINGS)."""
    return Survey.objects.create(**_survey_settings(settings))


def survey_update(*, survey: Survey, **settings: Any) -> None:
    """Change a survey's settings (names in SURVEY_SETTINGS); the object is refreshed. A
    new straight-lining minimum flags the submitted responses again."""
    values = _survey_settings(settings)
    if "straight_line_min_cells" not in values:
        Survey.objects.filter(pk=survey.pk).update(**values, updated_at=timezone.now())
        survey.refresh_from_db()
        return
    minimum = values["straight_line_min_cells"]
    if minimum is not None and (
        isinstance(minimum, bool) or not isinstance(minimum, int) or minimum < STRAIGHT_LINE_LOWEST
    ):
        raise ValueError(f"straight_line_min_cells must be at least {STRAIGHT_LINE_LOWEST}")
    with transaction.atomic():
        before = (
            Survey.objects.select_for_update()
            .values_list("straight_line_min_cells", flat=True)
            .get(pk=survey.pk)
        )
        Survey.objects.filter(pk=survey.pk).update(**values, updated_at=timezone.now())
        survey.refresh_from_db()
        if minimum != before:
            responses_flag_straight_lined(survey=survey)


def responses_flag_straight_lined(*, survey: Survey) -> int:
    """Flag the survey's submitted responses again by its straight-lining rule (after the
    rule changed), from their answers in grouped queries; the rating counts, which are
    kept per flag, are marked stale when a flag changes. Returns how many changed."""
    questionnaire = questionnaire_load(survey)
    grids = [q.pk for q in questionnaire.questions if q.kind == QuestionKind.GRID]
    enough = straight_line_minimum(questionnaire.grid_cells, survey.straight_line_min_cells)
    # The responses whose rated grid cells are enough and all alike: one grouped query.
    alike = (
        Answer.objects.filter(
            response__survey=survey,
            response__status=ResponseStatus.SUBMITTED,
            question__in=grids,
            value__isnull=False,
        )
        .values("response")
        .annotate(rated=Count("pk"), lowest=Min("value"), highest=Max("value"))
        .filter(rated__gte=enough, lowest=F("highest"))
        .values("response")
    )
    submitted = Response.objects.filter(survey=survey, status=ResponseStatus.SUBMITTED)
    flag = submitted.filter(straight_lined=False, pk__in=alike)
    unflag = submitted.filter(straight_lined=True).exclude(pk__in=alike)
    with transaction.atomic():
        if not (flag.exists() or unflag.exists()):
            return 0
        # First, as when erasing: it waits for a fold in progress, and the next read
        # counts the replies again under their new flags.
        tally_mark_stale([survey.pk])
        return flag.update(straight_lined=True) + unflag.update(straight_lined=False)


def survey_open(*, survey: Survey) -> None:
    Survey.objects.filter(pk=survey.pk).exclude(status=SurveyStatus.OPEN).update(
        status=SurveyStatus.OPEN, updated_at=timezone.now()
    )
    survey.refresh_from_db()


def survey_close(*, survey: Survey) -> None:
    Survey.objects.filter(pk=survey.pk).update(
        status=SurveyStatus.CLOSED, updated_at=timezone.now()
    )
    survey.refresh_from_db()


# --- Invitations ----------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedInvitation:
    invitation: Invitation
    token: str  # only its digest is stored; `invitation_token` derives it again


def _token_fields() -> tuple[dict[str, str], str]:
    salt = new_salt()
    token = derived_token(salt, settings.SECRET_KEY)
    fields = {
        "token_salt": salt,
        "token_hash": token_digest(token),
        "token_hint": token_hint(token),
    }
    return fields, token


def invitation_create(
    *,
    survey: Survey,
    kind: str,
    email: str = "",
    respondent_group: str = "",
    respondent_internal: bool | None = None,
    language: str = "",
    label: str = "",
    expires_at: datetime | None = None,
) -> IssuedInvitation:
    fields, token = _token_fields()
    invitation = Invitation.objects.create(
        survey=survey,
        kind=kind,
        **fields,
        email=email,
        respondent_group=respondent_group,
        respondent_internal=respondent_internal,
        language=language,
        label=label,
        expires_at=expires_at,
    )
    return IssuedInvitation(invitation, token)


@dataclass(frozen=True)
class PersonalInvitee:
    email: str
    respondent_group: str
    respondent_internal: bool | None
    language: str = ""
    label: str = ""  # the invitee's name, for whoever sends the invitations


def invitations_create_personal(
    *, survey: Survey, invitees: Sequence[PersonalInvitee], expires_at: datetime | None = None
) -> list[Invitation]:
    """Many personal invitations in one bulk insert (a spreadsheet of invitees)."""
    rows = []
    for invitee in invitees:
        fields, _token = _token_fields()
        rows.append(
            Invitation(
                survey=survey,
                kind=InvitationKind.PERSONAL,
                email=invitee.email,
                respondent_group=invitee.respondent_group,
                respondent_internal=invitee.respondent_internal,
                language=invitee.language,
                label=invitee.label,
                expires_at=expires_at,
                **fields,
            )
        )
    return Invitation.objects.bulk_create(rows, batch_size=1000)


def invitation_token(invitation: Invitation) -> str:
    """The invitation's token, derived again for a reminder or a QR code. If SECRET_KEY
    was rotated with no fallback left that derives it, the link is re-issued (the old one
    stops working) rather than showing a link that would not work."""
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    token = find_derived_token(invitation.token_salt, invitation.token_hash, keys)
    if token is not None:
        return token
    return invitation_reissue(invitation=invitation)


def invitation_reissue(*, invitation: Invitation) -> str:
    """A new token for an invitation; the old link stops working."""
    fields, token = _token_fields()
    Invitation.objects.filter(pk=invitation.pk).update(**fields)
    for name, value in fields.items():
        setattr(invitation, name, value)
    return token


# A link's landing page and its start read the invitation: compiled once, like the
# response a resume token stands for (`response_resume`).
_INVITATION = PrecompiledGet(Invitation, "token_hash", related=("survey",))


def invitation_resolve(token: str) -> Invitation:
    if not looks_like_token(token):
        raise LinkUnknown
    invitation = _INVITATION.get(token_digest(token))
    if invitation is None:
        raise LinkUnknown
    if invitation.revoked_at is not None:
        raise LinkRevoked
    if invitation.is_expired():
        raise LinkExpired
    return invitation


def invitation_revoke(*, invitation: Invitation) -> bool:
    """Revoke a link: it answers "no longer valid" from now on, and so do the replies
    begun through it that are not submitted yet (nothing more of them is saved, see
    `response_resume`); the submitted ones stay and count. False if it was revoked
    already (two clicks revoke it once)."""
    now = timezone.now()
    revoked = Invitation.objects.filter(pk=invitation.pk, revoked_at__isnull=True).update(
        revoked_at=now
    )
    if revoked:
        invitation.revoked_at = now
    return bool(revoked)


@transaction.atomic
def invitation_rotate(*, invitation: Invitation) -> IssuedInvitation | None:
    """A new group link in place of `invitation` (the same kind, group and expiry), which
    is revoked. None if it was revoked already: the link was rotated by someone else."""
    if invitation.kind == InvitationKind.PERSONAL:
        raise ValueError("Only group links are rotated; a personal invitation is re-sent.")
    if not invitation_revoke(invitation=invitation):
        return None
    return invitation_create(
        survey=invitation.survey,
        kind=invitation.kind,
        respondent_group=invitation.respondent_group,
        respondent_internal=invitation.respondent_internal,
        language=invitation.language,
        label=invitation.label,
        expires_at=invitation.expires_at,
    )


def survey_check_open(survey: Survey) -> None:
    availability = survey.availability()
    if availability == Availability.NOT_YET_OPEN:
        raise SurveyNotOpen
    if availability == Availability.CLOSED:
        raise SurveyClosed


# --- Responses ------------------------------------------------------------------------


@dataclass(frozen=True)
class StartedResponse:
    response: Response
    resume_token: str  # shown once, in the respondent's resume link


def response_start(
    *, invitation: Invitation, language: str = "", client_hash: str = "", device_hash: str = ""
) -> StartedResponse:
    """Begin (or, for a personal link, continue) the response behind an invitation.

    A personal invitation has one response: opening it again, on any device, continues
    that response under a fresh resume token (the old resume link stops working). A
    group link begins a new one, unless the submitted replies of the client's address
    (`client_hash`) or device (`device_hash`) reached the survey's limits for the day:
    then `GroupLinkLimited`."""
    survey = invitation.survey
    survey_check_open(survey)
    token = new_token()
    if invitation.kind == InvitationKind.PERSONAL:
        if invitation.responded_at is not None:
            raise AlreadySubmitted
        existing = Response.objects.filter(personal_invitation=invitation).first()
        if existing is None:
            try:
                with transaction.atomic():
                    response = Response.objects.create(
                        survey=survey,
                        invitation=invitation,
                        personal_invitation=invitation,
                        resume_hash=token_digest(token),
                        language=language,
                        respondent_group=invitation.respondent_group,
                        respondent_internal=invitation.respondent_internal,
                        respondent_fixed=link_fixes_respondent(invitation),
                    )
                return StartedResponse(response, token)
            except IntegrityError:
                # Two tabs started at once: the other one created it; continue that.
                existing = Response.objects.get(personal_invitation=invitation)
        if existing.status == ResponseStatus.SUBMITTED:
            raise AlreadySubmitted
        Response.objects.filter(pk=existing.pk).update(resume_hash=token_digest(token))
        existing.resume_hash = token_digest(token)
        return StartedResponse(existing, token)

    # A group link starts no reply where its limits are reached: nothing is stored.
    limits = _group_link_limits(survey, address=client_hash, device=device_hash)
    done = counts([key for key, _limit in limits], window_seconds=GROUP_LINK_WINDOW)
    if any(n >= limit for n, (_key, limit) in zip(done, limits, strict=True)):
        raise GroupLinkLimited(retry_after=seconds_left(GROUP_LINK_WINDOW))
    response = Response.objects.create(
        survey=survey,
        # The link is kept while the reply is in progress (revoking it stops the reply);
        # an anonymous survey cuts it at the submit, keeping the group copied here.
        invitation=invitation,
        resume_hash=token_digest(token),
        language=language,
        respondent_group=invitation.respondent_group,
        respondent_internal=invitation.respondent_internal,
        respondent_fixed=link_fixes_respondent(invitation),
        limit_address=client_hash,
        limit_device=device_hash,
    )
    return StartedResponse(response, token)


def _group_link_limits(survey: Survey, *, address: str, device: str) -> list[tuple[str, int]]:
    """The counters a group link's reply counts against, with their limits (a limit of
    0, or a client not known, counts nothing)."""
    limits = [
        (f"group-link:{survey.pk}:address:{address}", survey.group_link_limit_per_address),
        (f"group-link:{survey.pk}:device:{device}", survey.group_link_limit_per_device),
    ]
    return [
        (key, limit)
        for (key, limit), known in zip(limits, (address, device), strict=True)
        if known and limit > 0
    ]


def _group_link_count(response: Response) -> None:
    """Count a submit against its group link's limits, or refuse it (counting nothing)
    once one is reached. Called under the response's lock, before it is marked."""
    limits = _group_link_limits(
        response.survey, address=response.limit_address, device=response.limit_device
    )
    counted = []
    for key, limit in limits:
        total = hit(key, window_seconds=GROUP_LINK_WINDOW)
        if total == 0:
            return  # the cache cannot be reached: the limits are off, not the survey
        counted.append(key)
        if total > limit:
            for done in counted:
                unhit(done, window_seconds=GROUP_LINK_WINDOW)
            raise GroupLinkLimited(retry_after=seconds_left(GROUP_LINK_WINDOW))


def _group_link_uncount(response: Response) -> None:
    for key, _limit in _group_link_limits(
        response.survey, address=response.limit_address, device=response.limit_device
    ):
        unhit(key, window_seconds=GROUP_LINK_WINDOW)


def link_fixes_respondent(invitation: Invitation) -> bool:
    """The link says who the respondent is (group and side): the questions describing
    the respondent are not asked (`Questionnaire.asked_questions`)."""
    return bool(invitation.respondent_group) and invitation.respondent_internal is not None


_RESUME = PrecompiledGet(Response, "resume_hash", related=("survey", "invitation"))


def response_resume(resume_token: str) -> Response:
    """The response a resume token stands for, with its survey and the link it came by:
    one query, compiled once (`surveys.precompiled`). A reply still in progress whose
    link was revoked (or replaced) is refused as the link itself is (`LinkRevoked`):
    a link withdrawn because it was abused stops the replies begun through it too. A
    submitted reply stays (its thanks page)."""
    if not looks_like_token(resume_token):
        raise LinkUnknown
    response = _RESUME.get(token_digest(resume_token))
    if response is None:
        raise LinkUnknown
    if response.status == ResponseStatus.IN_PROGRESS:
        _check_link(response.invitation.revoked_at if response.invitation else None)
    return response


def _check_link(revoked_at: datetime | None) -> None:
    """Refuse a reply in progress whose link was revoked at `revoked_at` (None: a link
    that still works, or none)."""
    if revoked_at is not None:
        raise LinkRevoked


@dataclass(frozen=True)
class AnswerInput:
    question_id: int
    row_code: str = ""
    column_code: str = ""
    value: int | None = None
    dont_know: bool = False
    text: str = ""


def answers_save(
    *,
    response: Response,
    questionnaire: Questionnaire,
    scope: Sequence[AnswerScope],
    answers: Iterable[AnswerInput],
    language: str = "",
) -> None:
    """Store one page of answers: those in `scope` are replaced, all others are kept.
    A `language` the respondent switched to becomes the response's language.

    The response row is locked first, so a save racing a submit either lands before the
    submit or is refused with `AlreadySubmitted`; never half of each. A reply whose link
    was revoked is refused (`LinkRevoked`), nothing saved."""
    answers = list(answers)
    with transaction.atomic():
        if _locked_status(response) == ResponseStatus.SUBMITTED:
            raise AlreadySubmitted
        survey_check_open(response.survey)
        replaced = _answers_in_scope(response, scope)
        if replaced:  # a page saved before: none on a first save
            Answer.objects.filter(pk__in=replaced).delete()
        _answers_insert(response, answers)
        updates = _respondent_fields(questionnaire, answers)
        if language:
            updates["language"] = language
        if updates:
            Response.objects.filter(pk=response.pk).update(**updates)
            for name, value in updates.items():
                setattr(response, name, value)


# The two reads of every page save and submit, compiled once (`surveys.precompiled`).
# The row lock reads the link's revocation with the status (one statement, the link's
# row not locked).
_LOCKED_STATUS = CompiledStatement(
    lambda pk: (
        Response.objects.select_for_update(of=("self",))
        .filter(pk=pk)
        .order_by()
        .values_list("status", "invitation__revoked_at")
    ),
    int,
)
_ANSWER_CELLS = CompiledStatement(
    lambda response_id: Answer.objects.filter(response_id=response_id).values_list(
        "pk", "question_id", "row_code"
    ),
    int,
)


def _locked_status(response: Response) -> str:
    """The response's status, its row locked until the transaction ends: a page save
    and a submit take this lock first, so that one waits for the other. A reply in
    progress whose link is revoked is refused here, whoever saves or submits it (read
    with the lock, a revoke committed after the reply was read and before this statement
    is seen; on PostgreSQL, one committed while the statement waits for the lock is not,
    so that one save can still land)."""
    rows = _LOCKED_STATUS.rows(response.pk)
    if not rows:  # erased meanwhile (a data-protection request)
        raise LinkUnknown
    status: str = rows[0][0]
    if status == ResponseStatus.IN_PROGRESS:
        _check_link(rows[0][1])
    return status


def _answers_in_scope(response: Response, scope: Sequence[AnswerScope]) -> list[int]:
    """The stored answers a page's save replaces (their ids)."""
    whole = {part.question_id for part in scope if part.row_codes is None}
    rows = {
        (part.question_id, code)
        for part in scope
        if part.row_codes is not None
        for code in part.row_codes
    }
    return [
        pk
        for pk, question_id, row_code in _ANSWER_CELLS.rows(response.pk)
        if question_id in whole or (question_id, row_code) in rows
    ]


# What a stored answer is written with, in the order of `_answers_insert_sql`.
_ANSWER_COLUMNS = ("response", "question", "row_code", "column_code", "value", "dont_know", "text")


@functools.cache
def _answers_insert_sql() -> str:
    """One INSERT of any number of answers, each column sent as one array (PostgreSQL):
    its text never changes. The ORM's bulk insert spent 0.8 ms of CPU building its
    statement, most of a page save. The arrays are cast to the columns' types without
    their lengths: a code too long is refused by its column, not cut short by a cast."""
    by_name = {field.name: field for field in Answer._meta.concrete_fields}
    fields = [by_name[name] for name in _ANSWER_COLUMNS]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    kinds = [re.sub(r"\(\d+\)$", "", field.db_type(connection) or "") for field in fields]
    arrays = ", ".join(f"%s::{kind}[]" for kind in kinds)
    table = quote(Answer._meta.db_table)
    # Names from the model, every value a parameter.
    return f"INSERT INTO {table} ({columns}) SELECT * FROM unnest({arrays})"  # noqa: S608


def _answers_insert(response: Response, answers: Sequence[AnswerInput]) -> None:
    """Store new answers of `response` (the rows `answer_rows` makes)."""
    if not answers:
        return
    if connection.vendor != "postgresql":
        Answer.objects.bulk_create(answer_rows(response, answers))
        return
    columns: list[list[Any]] = [
        [response.pk] * len(answers),
        [answer.question_id for answer in answers],
        [answer.row_code for answer in answers],
        [answer.column_code for answer in answers],
        [answer.value for answer in answers],
        [answer.dont_know for answer in answers],
        [plain_text(answer.text, multiline=True) for answer in answers],
    ]
    with connection.cursor() as cursor:
        cursor.execute(_answers_insert_sql(), columns)


def answer_rows(response: Response, answers: Iterable[AnswerInput]) -> list[Answer]:
    """Unsaved Answer rows for one bulk insert."""
    return [
        Answer(
            response_id=response.pk,
            question_id=answer.question_id,
            row_code=answer.row_code,
            column_code=answer.column_code,
            value=answer.value,
            dont_know=answer.dont_know,
            # Forms refuse control characters with a message; a reply from elsewhere (an
            # import, the demo) is stored under the same rule.
            text=plain_text(answer.text, multiline=True),
        )
        for answer in answers
    ]


@transaction.atomic
def response_create_submitted(
    *, survey: Survey, answers: Iterable[AnswerInput], language: str, contact_email: str = ""
) -> Response:
    """A one-page form answered in one request (reader feedback): the response is
    submitted as it is created; it has no resume link."""
    survey_check_open(survey)
    response = Response.objects.create(
        survey=survey,
        resume_hash=new_token(),  # unique, never shown: nothing to resume
        status=ResponseStatus.SUBMITTED,
        submitted_at=timezone.now(),
        language=language,
        contact_email=contact_email,
    )
    _answers_insert(response, list(answers))
    return response


def responses_erase(*, responses: QuerySet[Response], actor: Any = None) -> int:
    """Erase responses and their answers (a data-protection request); the rating counts
    of their surveys are counted again by the next read. Returns how many were erased.

    The functions in settings.SURVEYS_ERASE_HOOKS learn, in the same transaction, how
    many responses each survey lost and who erased them (never whose they were): the
    ESG layer notes it in the assessment's audit trail. Runs already scored keep their
    scores."""
    with transaction.atomic():
        # Fixed first: `responses` may be chosen by what is cleared below (an e-mail).
        responses = Response.objects.filter(pk__in=list(responses.values_list("pk", flat=True)))
        per_survey = dict(responses.values_list("survey_id").annotate(n=Count("pk")).order_by())
        # Their personal invitations stay (a used link must not yield a second reply),
        # without the address and name that would still say who answered.
        Invitation.objects.filter(
            Q(personal_response__in=responses)
            | Q(kind=InvitationKind.PERSONAL, responses__in=responses)
        ).update(email="", label="", send_error="")
        counted = responses.filter(tally_batch__isnull=False)
        tally_mark_stale(counted.values_list("survey_id", flat=True).distinct())
        _total, by_model = responses.delete()
        if per_survey:
            for path in getattr(settings, "SURVEYS_ERASE_HOOKS", ()):
                hook: Callable[[dict[int, int], Any], None] = import_string(path)
                hook(per_survey, actor)
    return by_model.get(Response._meta.label, 0)


def _respondent_fields(
    questionnaire: Questionnaire, answers: Sequence[AnswerInput]
) -> dict[str, Any]:
    """Answers that describe the respondent are copied onto the response."""
    updates: dict[str, Any] = {}
    for answer in answers:
        question = questionnaire.question_by_id(answer.question_id)
        if question is None:
            continue
        if question.purpose == QuestionPurpose.RESPONDENT_GROUP:
            updates["respondent_group"] = answer.column_code
        elif question.purpose == QuestionPurpose.RESPONDENT_SIDE:
            updates["respondent_internal"] = answer.column_code == "internal"
    return updates


def response_submit(
    *,
    response: Response,
    questionnaire: Questionnaire | None = None,
    duration_seconds: int | None = None,
) -> Response:
    """Submit a complete response, once. Raises `IncompleteResponse` (with the pages to
    finish) or `AlreadySubmitted` (also when a concurrent submit won the race).

    The duration is the time since the response started, unless the caller measured it
    itself (`duration_seconds`: the API, whose one request starts and submits a reply
    the respondent filled in elsewhere)."""
    questionnaire = questionnaire or questionnaire_load(response.survey)
    with transaction.atomic():
        return _submit_locked(response, questionnaire, duration_seconds)


def _submit_locked(
    response: Response, questionnaire: Questionnaire, measured: int | None = None
) -> Response:
    # The row lock makes a concurrent page save (which takes it too) land either wholly
    # before the completeness check or after the submit, where it is refused.
    if _locked_status(response) == ResponseStatus.SUBMITTED:
        raise AlreadySubmitted
    survey_check_open(response.survey)
    answers = response_answers(response)
    pages = missing_pages(questionnaire, response, answers)
    if pages:
        raise IncompleteResponse(pages)
    _group_link_count(response)
    now = timezone.now()
    elapsed = int((now - response.started_at).total_seconds()) if measured is None else measured
    duration = max(0, elapsed)
    grid_ids = {q.pk for q in questionnaire.questions if q.kind == QuestionKind.GRID}
    ratings = [
        a.value for a in answers.values() if a.value is not None and a.question_id in grid_ids
    ]
    straight_lined = is_straight_lined(
        ratings, questionnaire.grid_cells, response.survey.straight_line_min_cells
    )
    anonymous = response.survey.anonymous
    changes: dict[str, Any] = {
        "status": ResponseStatus.SUBMITTED,
        "submitted_at": now,
        "duration_seconds": duration,
        "straight_lined": straight_lined,
        "updated_at": now,
        "limit_address": "",
        "limit_device": "",
    }
    if anonymous:
        changes.update(personal_invitation=None, invitation=None)
    won = Response.objects.filter(pk=response.pk, status=ResponseStatus.IN_PROGRESS).update(
        **changes
    )
    if response.personal_invitation_id:
        # In an anonymous survey an exact time would link the response (submitted_at)
        # back to its invitee: the invitation keeps the day only.
        responded = now.replace(hour=0, minute=0, second=0, microsecond=0) if anonymous else now
        won = won and Invitation.objects.filter(
            pk=response.personal_invitation_id, responded_at__isnull=True
        ).update(responded_at=responded)
    if not won:
        _group_link_uncount(response)
        raise AlreadySubmitted
    _run_submit_hooks(response.survey_id, response.pk)
    for name, value in changes.items():
        setattr(response, name, value)
    return response


def _run_submit_hooks(survey_id: int, response_id: int) -> None:
    """Call the functions listed in settings.SURVEYS_SUBMIT_HOOKS. An app that builds on
    surveys (materiality) registers there what should follow a submission, so the
    engine never imports it.

    They run inside the submit's transaction, each under a savepoint of its own: what a
    hook writes commits with the submission or not at all (the run it asks for is there
    once the reply is, and one commit serves both), and what must wait for the commit
    (a task sent to a worker, which reads the reply) it registers with on_commit. A
    failing hook is logged and rolled back alone: the response is still submitted."""
    for path in getattr(settings, "SURVEYS_SUBMIT_HOOKS", ()):
        hook: Callable[[int, int], None] = import_string(path)
        try:
            with transaction.atomic():
                hook(survey_id, response_id)
        except Exception:
            logger.exception("Submit hook %s failed for response %s", path, response_id)


# --- Editing a draft survey's questions -------------------------------------------------


def _editable(survey_id: int) -> Survey:
    survey = Survey.objects.select_for_update().get(pk=survey_id)
    if survey.status != SurveyStatus.DRAFT:
        raise SurveyLocked
    return survey


@transaction.atomic
def question_edit(*, question: Question, text: Mapping[str, str], required: bool) -> None:
    _editable(question.survey_id)
    Question.objects.filter(pk=question.pk).update(text=dict(text), required=required)


@transaction.atomic
def question_move(*, question: Question, step: int) -> None:
    """Swap the question with its neighbour (step -1: up, +1: down)."""
    survey = _editable(question.survey_id)
    ordered = list(Question.objects.filter(survey=survey).order_by("order", "pk"))
    index = next(i for i, q in enumerate(ordered) if q.pk == question.pk)
    other = index + step
    if not 0 <= other < len(ordered):
        return
    ordered[index], ordered[other] = ordered[other], ordered[index]
    for position, item in enumerate(ordered, start=1):
        if item.order != position * 10:
            Question.objects.filter(pk=item.pk).update(order=position * 10)


@transaction.atomic
def question_set_retired(*, question: Question, retired: bool) -> None:
    _editable(question.survey_id)
    Question.objects.filter(pk=question.pk).update(retired=retired)


@transaction.atomic
def question_add(*, survey: Survey, spec: QuestionSpec) -> Question:
    """Add a question at the end of a draft survey (any of the engine's kinds), stored
    as fully as `survey_set_questions` stores it."""
    locked = _editable(survey.pk)
    if Question.objects.filter(survey=locked, code=spec.code).exists():
        raise SurveyLocked(_("A question with this code exists already."))
    last = Question.objects.filter(survey=locked).order_by("-order").values_list("order", flat=True)
    question, options = _question_create(locked, spec, order=(last.first() or 0) + 10)
    QuestionOption.objects.bulk_create(options)
    return question
