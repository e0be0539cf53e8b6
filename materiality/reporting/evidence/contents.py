"""The pieces of an evidence pack (plain data) and how its numbers are written."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

SECTIONS = (
    "process",
    "screening",
    "groups",
    "scale",
    "method",
    "filters",
    "matrix",
    "material_topics",
    "change",
    "trail",
    "reproduce",
)


# --- The data ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrailEntry:
    """One step of the confirmation trail (submitted, confirmed, sent back, …)."""

    when: datetime
    who: str
    action: str
    note: str = ""


@dataclass(frozen=True)
class Section:
    key: str
    number: int
    heading: str


@dataclass(frozen=True)
class Fact:
    label: str
    value: str


@dataclass(frozen=True)
class ScreeningRow:
    code: str
    name: str
    dimension: str
    references: list[str]  # one per framework column, "—" where there is none


@dataclass(frozen=True)
class GroupRow:
    name: str
    side: str
    invited: str
    submitted: str
    rate: str
    counted: str


@dataclass(frozen=True)
class MaterialRow:
    rank: int
    code: str
    name: str
    dimension: str
    tier: str
    p_material: str
    company: str
    stakeholder: str
    combined: str


@dataclass(frozen=True)
class ChangeRow:
    name: str
    rank: str
    previous_rank: str
    change: str
    material: str
    status: str


@dataclass(frozen=True)
class TrailRow:
    when: str
    who: str
    action: str
    note: str


@dataclass(frozen=True)
class EvidencePack:
    """Everything the pack shows, already in its language: the HTML and the PDF are two
    layouts of this one object."""

    language: str
    html_lang: str
    t: Mapping[str, str]  # headings, column titles and fixed sentences
    title: str
    assessment_title: str
    period: str
    run_id: int
    intro: str
    generated: str
    sections: list[Section]
    headings: Mapping[str, str]  # section key -> "n. Heading"
    process: list[str]
    framework_columns: list[str]
    sources_used: str
    screening: list[ScreeningRow]
    groups: list[GroupRow]
    group_total: GroupRow
    group_notes: list[str]
    scale_intro: str
    scale: list[tuple[str, str]]
    axes: list[Fact]
    method: list[Fact]
    group_weights: list[tuple[str, str]]  # custom weighting only
    rationale: list[str]
    team_rationale: str
    filters: list[tuple[str, str, str]]  # (check, setting, excluded)
    filter_summary: str
    matrix_caption: str
    material_intro: str
    material: list[MaterialRow]
    not_material: str
    change_intro: str
    changes: list[ChangeRow]
    change_notes: list[str]
    trail: list[TrailRow]
    fingerprint: str
    reproducibility: list[Fact]
    parameters: str
    how_to_check: list[str]


# --- Formatting -----------------------------------------------------------------------------


def when_text(moment: datetime) -> str:
    return timezone.localtime(moment).isoformat(sep=" ", timespec="minutes")


def number_text(value: float | None, digits: int) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def signed_text(value: float) -> str:
    return f"{value:+.2f}"


def joined(items: Sequence[str], language: str) -> str:
    return ("、" if language.lower().startswith("zh") else ", ").join(items)
