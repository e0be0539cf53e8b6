"""The IRO register as an XLSX workbook, and back.

The export has one row per IRO with names, not codes (the matter's path of names, the
kind, the stages…), in the language asked for, under the two header rows every Materia
workbook has: column codes, then labels. The import reads that file back (or one with
either header row alone, in any language): a row whose reference is in the register
updates that IRO, any other row adds one. Every row is checked before anything is
stored; if one is wrong, nothing is, and each mistake is reported with its row.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import Workbook

from materiality.double.company_matters import dma_matters
from materiality.double.models import (
    NATURE,
    Actuality,
    DoubleAssessment,
    Horizon,
    Involvement,
    Iro,
    IroKind,
    IroSource,
    Matter,
    Polarity,
    ValueChainStage,
)
from materiality.double.register import IroInput, iro_create, iro_errors, iro_update
from materiality.importing.tables import SpreadsheetError, cell_text, read_table
from materiality.reporting.spreadsheets import sheet_title, write_table
from materiality.reporting.tables import Column, Table

PATH_SEPARATOR = " \u203a "  # a single right angle quote between the names of a path
LIST_SEPARATOR = "; "
_SPLIT = re.compile(r"[;；\n]")
TRANSLATED = ("title", "description", "financial_effect")
CHOICES: dict[str, type[models.TextChoices]] = {
    "kind": IroKind,
    "polarity": Polarity,
    "actuality": Actuality,
    "involvement": Involvement,
    "source": IroSource,
}
LISTS: dict[str, type[models.TextChoices]] = {"value_chain": ValueChainStage, "horizons": Horizon}


def _languages() -> list[tuple[str, str]]:
    return list(settings.LANGUAGES)


def _columns() -> list[Column]:
    """The columns, labelled in the active language."""
    labels = {
        "reference": _("Reference"),
        "matter": _("Matter"),
        "matter_reference": _("Paragraph or article"),
        "kind": _("Kind"),
        "polarity": _("Negative or positive"),
        "actuality": _("Actual or potential"),
        "human_rights": _("Human rights"),
        "value_chain": _("Value-chain stages"),
        "involvement": _("Involvement"),
        "horizons": _("Time horizons"),
        "stakeholders": _("Affected stakeholders"),
        "source": _("Source"),
    }
    texts = {
        "title": _("Title"),
        "description": _("Description"),
        "financial_effect": _("Financial effect"),
    }
    order = [
        "reference", "matter", "matter_reference", "kind", "title", "description", "polarity",
        "actuality", "human_rights", "value_chain", "involvement", "horizons", "stakeholders",
        "financial_effect", "source",
    ]  # fmt: skip
    columns: list[Column] = []
    for code in order:
        if code in texts:
            columns += [
                Column(f"{code}_{lang}", f"{texts[code]} ({name})") for lang, name in _languages()
            ]
        else:
            columns.append(Column(code, labels[code]))
    return columns


def matter_path(matter: Matter, language: str | None = None) -> str:
    names = []
    current: Matter | None = matter
    while current is not None:
        names.append(current.get_name(language))
        current = current.parent
    return PATH_SEPARATOR.join(reversed(names))


def _yes_no(value: bool) -> str:
    return _("Yes") if value else _("No")


def _stakeholder_name(value: str) -> str:
    return _("Nature") if value == NATURE else value


def _row(iro: Iro, language: str) -> list[Any]:
    def label(choices: type[models.TextChoices], value: str) -> str:
        return str(choices(value).label) if value else ""

    row: dict[str, Any] = {
        "reference": iro.reference,
        "matter": matter_path(iro.matter, language),
        "matter_reference": iro.matter.reference,
        "kind": label(IroKind, iro.kind),
        "polarity": label(Polarity, iro.polarity),
        "actuality": label(Actuality, iro.actuality),
        "human_rights": _yes_no(iro.human_rights) if iro.kind == IroKind.IMPACT else "",
        "value_chain": LIST_SEPARATOR.join(label(ValueChainStage, v) for v in iro.value_chain),
        "involvement": label(Involvement, iro.involvement),
        "horizons": LIST_SEPARATOR.join(label(Horizon, v) for v in iro.horizons),
        "stakeholders": LIST_SEPARATOR.join(_stakeholder_name(v) for v in iro.stakeholders),
        "source": label(IroSource, iro.source),
    }
    for name in TRANSLATED:
        for lang, _name in _languages():
            row[f"{name}_{lang}"] = getattr(iro, name).get(lang, "")
    return [row[column.code] for column in _columns()]


def register_xlsx(dma: DoubleAssessment, language: str) -> bytes:
    """The DMA's IROs as a workbook in `language` (texts in every language, side by side)."""
    with translation.override(language):
        iros = dma.iros.select_related("matter__parent__parent").order_by("reference")
        table = Table(columns=_columns(), rows=[_row(iro, language) for iro in iros])
        workbook = Workbook()
        workbook.remove(workbook.active)
        sheet = workbook.create_sheet(sheet_title(_("IRO register")))
        write_table(sheet, table, first_row=1)
        sheet.freeze_panes = "C3"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- Reading it back ----------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    row: int  # as the spreadsheet numbers it
    messages: list[str]


@dataclass
class RegisterImport:
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


def _in_every_language(make: Callable[[], Iterable[tuple[str, str]]]) -> dict[str, str]:
    """{text as people may write it: code} for labels made in each enabled language."""
    found: dict[str, str] = {}
    for language, _name in _languages():
        with translation.override(language):
            for text, code in make():
                found.setdefault(_key(text), code)
    return found


def _choice_lookup(choices: type[models.TextChoices]) -> dict[str, str]:
    found = _in_every_language(lambda: ((str(label), value) for value, label in choices.choices))
    found.update({_key(value): value for value in choices.values})
    return found


class _Reader:
    """Turns the rows of a file into IRO inputs, with a message for each cell it cannot."""

    def __init__(self, dma: DoubleAssessment) -> None:
        self.dma = dma
        self.headers = _in_every_language(lambda: ((c.label, c.code) for c in _columns()))
        self.headers.update({_key(c.code): c.code for c in _columns()})
        self.choices = {name: _choice_lookup(kind) for name, kind in {**CHOICES, **LISTS}.items()}
        self.yes_no = _in_every_language(lambda: ((_("Yes"), "1"), (_("No"), "")))
        self.yes_no.update({"true": "1", "1": "1", "false": "", "0": ""})
        self.nature = _in_every_language(lambda: ((_("Nature"), NATURE),))
        matters = list(dma_matters(dma).select_related("parent__parent"))
        self.matters: dict[str, list[Matter]] = {}
        for matter in matters:
            names = {matter_path(matter, lang) for lang, _n in _languages()}
            names |= {matter.get_name(lang) for lang, _n in _languages()}  # a unique leaf name
            for name in names:
                self.matters.setdefault(_key(name), []).append(matter)

    def header(self, row: Sequence[str]) -> dict[str, int]:
        return {
            self.headers[_key(text)]: index
            for index, text in enumerate(row)
            if _key(text) in self.headers
        }

    def matter(self, text: str, errors: list[str]) -> Matter | None:
        found = list(dict.fromkeys(self.matters.get(_key(text), [])))
        if len(found) == 1:
            return found[0]
        exact = [
            m
            for m in found
            if _key(text) in {_key(matter_path(m, code)) for code, _n in _languages()}
        ]
        if len(exact) == 1:
            return exact[0]
        if not text:
            errors.append(_("Name the matter."))
        elif found:
            errors.append(
                _("“%(name)s” names several matters: give its full path, such as %(path)s.")
                % {"name": text, "path": matter_path(found[0])}
            )
        else:
            errors.append(_("“%(name)s” is not a matter of this assessment.") % {"name": text})
        return None

    def choice(self, name: str, text: str, errors: list[str]) -> str:
        if not text:
            return ""
        value = self.choices[name].get(_key(text))
        if value is None:
            errors.append(
                _("“%(value)s” is not a choice of %(column)s.")
                % {"value": text, "column": self.label(name)}
            )
        return value or ""

    def many(self, name: str, text: str, errors: list[str]) -> list[str]:
        return [
            self.choice(name, part.strip(), errors) for part in _SPLIT.split(text) if part.strip()
        ]

    def label(self, code: str) -> str:
        return next(c.label for c in _columns() if c.code == code)

    def read(self, row: Sequence[str], columns: Mapping[str, int], errors: list[str]) -> IroInput:
        def cell(code: str) -> str:
            return cell_text(row, columns.get(code))

        def texts(name: str) -> dict[str, str]:
            return {
                lang: cell(f"{name}_{lang}") for lang, _n in _languages() if cell(f"{name}_{lang}")
            }

        flag = cell("human_rights")
        if _key(flag) not in self.yes_no and flag:
            errors.append(
                _("Write yes or no under %(column)s.") % {"column": self.label("human_rights")}
            )
        stakeholders = [
            self.nature.get(_key(part), part.strip())
            for part in _SPLIT.split(cell("stakeholders"))
            if part.strip()
        ]
        matter = self.matter(cell("matter"), errors)
        return IroInput(
            matter=matter or Matter(),
            kind=self.choice("kind", cell("kind"), errors),
            title=texts("title"),
            description=texts("description"),
            polarity=self.choice("polarity", cell("polarity"), errors),
            actuality=self.choice("actuality", cell("actuality"), errors),
            human_rights=bool(self.yes_no.get(_key(flag))),
            value_chain=self.many("value_chain", cell("value_chain"), errors),
            involvement=self.choice("involvement", cell("involvement"), errors),
            horizons=self.many("horizons", cell("horizons"), errors),
            stakeholders=stakeholders,
            financial_effect=texts("financial_effect"),
            source=self.choice("source", cell("source"), errors),
            reference=cell("reference"),
        )


def register_import(
    *, dma: DoubleAssessment, name: str, content: bytes, actor: Any = None
) -> RegisterImport:
    """Read a register file into `dma` (see the module docstring). A file that cannot be
    read at all raises ValidationError; mistakes in rows come back in `errors`."""
    try:
        rows = read_table(name, content)
    except SpreadsheetError as error:
        raise ValidationError(str(error)) from None
    reader = _Reader(dma)
    columns = reader.header(rows[0]) if rows else {}
    first = 1
    if len(rows) > 1 and len(reader.header(rows[1])) >= max(len(columns) - 1, 1):
        first = 2  # the second header row of the export (labels under the codes)
    missing = [code for code in ("matter", "kind", "source") if code not in columns]
    if not any(code.startswith("title_") for code in columns):
        missing.append("title")
    if missing:
        raise ValidationError(
            _("The file has no column for: %(columns)s. Start from an exported register.")
            % {"columns": ", ".join(missing)}
        )
    existing = {iro.reference: iro for iro in dma.iros.all()}
    result = RegisterImport()
    plans: list[tuple[Iro | None, IroInput]] = []
    seen: set[str] = set()
    for number, row in enumerate(rows[first:], start=first + 1):
        if not any(cell.strip() for cell in row):
            continue
        errors: list[str] = []
        data = reader.read(row, columns, errors)
        if data.reference:
            if data.reference in seen:
                errors.append(
                    _("The reference %(reference)s is given twice.") % {"reference": data.reference}
                )
            seen.add(data.reference)
        if data.matter.pk is not None:
            errors += iro_errors(dma, data)
        if errors:
            result.errors.append(RowError(row=number, messages=list(dict.fromkeys(errors))))
        else:
            plans.append((existing.get(data.reference), data))
    if result.errors:
        return result
    with transaction.atomic():
        for iro, data in plans:
            if iro is None:
                iro_create(dma=dma, data=data, actor=actor)
                result.created += 1
            else:
                iro_update(iro=iro, data=data, actor=actor)
                result.updated += 1
    return result
