"""Invitee lists: e-mail, group and language columns found by their headers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from materiality.importing.tables import MAX_ROWS, SpreadsheetError, cell_text
from materiality.models import (
    StakeholderGroup,
)
from surveys.plaintext import plain_text

EMAIL_HEADERS = {"email", "e-mail", "mail", "邮箱", "电子邮件", "电子邮箱"}
GROUP_HEADERS = {
    "group",
    "stakeholder group",
    "stakeholder_group",
    "群体",
    "利益相关方",
    "利益相关方群体",
}
LANGUAGE_HEADERS = {"language", "lang", "语言"}
# Optional: how the ESG team knows the invitee; kept on the invitation, never on a reply.
NAME_HEADERS = {"name", "姓名", "名字"}
NAME_MAX_LENGTH = 200


@dataclass(frozen=True)
class InviteeRow:
    line: int
    email: str
    group: StakeholderGroup
    language: str
    name: str = ""


@dataclass
class InviteeImport:
    rows: list[InviteeRow] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)


def _find_column(headers: Sequence[str], names: set[str]) -> int | None:
    for index, header in enumerate(headers):
        if header.strip().lower() in names:
            return index
    return None


def parse_invitees(
    table: list[list[str]],
    *,
    groups: Sequence[StakeholderGroup],
    languages: Sequence[str],
    existing_emails: set[str],
) -> InviteeImport:
    result = InviteeImport()
    if not table:
        raise SpreadsheetError(_("The file is empty."))
    headers = table[0]
    email_col = _find_column(headers, EMAIL_HEADERS)
    group_col = _find_column(headers, GROUP_HEADERS)
    language_col = _find_column(headers, LANGUAGE_HEADERS)
    name_col = _find_column(headers, NAME_HEADERS)
    if email_col is None or group_col is None:
        raise SpreadsheetError(
            _("The first row must name the columns: “email” and “group” (or 邮箱 and 群体).")
        )
    if len(table) - 1 > MAX_ROWS:
        raise SpreadsheetError(_("At most %(max)d rows per file.") % {"max": MAX_ROWS})
    lookup: dict[str, StakeholderGroup] = {}
    for group in groups:
        lookup[group.code.lower()] = group
        for name in group.name.values():
            lookup[name.strip().lower()] = group
    seen: dict[str, int] = {}
    for line, row in enumerate(table[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        email = cell_text(row, email_col).lower()
        group_text = cell_text(row, group_col)
        language = cell_text(row, language_col).lower()
        name = plain_text(cell_text(row, name_col)).strip()
        problems = []
        if len(name) > NAME_MAX_LENGTH:
            problems.append(
                _("The name is longer than %(max)d characters.") % {"max": NAME_MAX_LENGTH}
            )
        try:
            validate_email(email)
        except ValidationError:
            problems.append(_("“%(value)s” is not an e-mail address.") % {"value": email or "—"})
        found = lookup.get(group_text.lower())
        if found is None:
            problems.append(
                _("“%(value)s” is not a stakeholder group of this assessment.")
                % {"value": group_text or "—"}
            )
        if language and language not in languages:
            problems.append(
                _("Language “%(value)s” is not offered (use %(offered)s).")
                % {"value": language, "offered": ", ".join(languages)}
            )
        if email in seen:
            problems.append(_("Same e-mail as row %(line)d.") % {"line": seen[email]})
        elif email in existing_emails:
            problems.append(_("This e-mail address is already invited."))
        seen.setdefault(email, line)
        if problems:
            result.errors.append((line, " ".join(problems)))
        elif found is not None:
            result.rows.append(InviteeRow(line, email, found, language, name))
    if not result.rows and not result.errors:
        raise SpreadsheetError(_("The file has a header row but no invitees."))
    return result
