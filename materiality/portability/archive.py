"""What every portable file of Materia shares, whatever it carries (a survey assessment,
materiality/portability/; a double materiality assessment, materiality/double/portability/):
a zip of JSON whose `manifest.json` names the format and its version and gives the
SHA-256 of every other member.

Written from one database snapshot, via a `.part` file beside the target that is renamed
only once whole, so a file at the target's name is always complete. Read back only
after the whole file has been checked: a zip, a manifest of the expected format and of a
version this release reads, every member present with the SHA-256 the manifest gives.
Each format words its refusals itself (`FileKind`), so a person is told which kind of
file it is not.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar
from zipfile import ZIP_DEFLATED, BadZipFile, ZipFile

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise as StrOrPromise

T = TypeVar("T")
MANIFEST = "manifest.json"
BATCH = 1000
READ_BLOCK = 1 << 20

RowSource = tuple[str, Callable[[], Iterable[Any]]]


class PortableFileError(Exception):
    """The file cannot be imported; the message says why, in words for people."""


@dataclass(frozen=True)
class FileKind:
    """One format: its name and version, its members, and how its refusals are worded
    (lazy translations: `%(error)s` in *unreadable*, `%(detail)s` in *damaged*)."""

    name: str
    version: int
    members: tuple[str, ...]
    error: type[PortableFileError]
    unreadable: StrOrPromise
    no_manifest: StrOrPromise
    foreign: StrOrPromise
    damaged: StrOrPromise


# --- Writing ------------------------------------------------------------------------------


class Member:
    """One member of the zip, written as it goes, with its SHA-256 and row count."""

    def __init__(self, archive: ZipFile, name: str) -> None:
        self.stream: IO[bytes] = archive.open(name, "w", force_zip64=True)
        self.digest = hashlib.sha256()
        self.rows = 0

    def write(self, row: Any) -> None:
        data = json.dumps(row, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
        self.stream.write(data)
        self.digest.update(data)
        self.rows += 1

    def close(self) -> str:
        self.stream.close()
        return self.digest.hexdigest()


def archive_write(path: Path, fill: Callable[[ZipFile], T]) -> T:
    """Run *fill* on a new zip, in one transaction, and put the zip at *path* once it is
    whole (a temporary `.part` file beside it until then); what *fill* returns."""
    partial = path.with_name(path.name + ".part")
    fresh = not connection.in_atomic_block
    try:
        with transaction.atomic(), ZipFile(partial, "w", ZIP_DEFLATED) as archive:
            # One snapshot for the whole file on PostgreSQL: what changes meanwhile is in
            # it entirely, or not at all (SQLite's transaction is one already). Inside a
            # caller's transaction (a test's), the snapshot is that transaction's.
            if connection.vendor == "postgresql" and fresh:
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            result = fill(archive)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return result


def members_write(
    archive: ZipFile, sources: Iterable[RowSource]
) -> tuple[dict[str, int], dict[str, str]]:
    """Each (member name, rows) written row by row; the rows per kind (the name without
    its extension) and the SHA-256 per member."""
    counts: dict[str, int] = {}
    digests: dict[str, str] = {}
    for name, rows in sources:
        member = Member(archive, name)
        for row in rows():
            member.write(row)
        digests[name] = member.close()
        counts[name.split(".")[0]] = member.rows
    return counts, digests


def manifest_write(
    archive: ZipFile,
    kind: FileKind,
    *,
    subject: tuple[str, dict[str, Any]],
    counts: dict[str, int],
    digests: dict[str, str],
) -> None:
    """The manifest, written last: it names what the file holds (*subject*: its key and
    what identifies the exported object) and the digests of the members above."""
    key, described = subject
    manifest = {
        "format": kind.name,
        "version": kind.version,
        "exported_at": timezone.now().isoformat(),
        "software": {"python": platform.python_version(), "site": settings.SITE_URL},
        key: described,
        "counts": counts,
        "members": digests,
    }
    archive.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False))


def username(user: Any) -> str:
    """A person as the file names them: accounts are not carried between sites."""
    return user.get_username() if user is not None else ""


# --- Reading ------------------------------------------------------------------------------


def archive_read(path: Path, kind: FileKind, restore: Callable[[ZipFile, dict[str, Any]], T]) -> T:
    """Check the file at *path* whole, then run *restore* (one transaction) on it with its
    manifest. A file that is no zip, that breaks while being read, or whose rows lack
    what they must hold or contradict each other, is refused as *kind* words it."""
    try:
        with ZipFile(path) as archive:
            manifest = manifest_checked(archive, kind)
            try:
                return restore(archive, manifest)
            except (KeyError, TypeError, ValueError, IntegrityError) as error:
                # A row without what it must hold, or naming a row the file lacks; the
                # transaction is rolled back by then.
                raise damaged(kind, f"{type(error).__name__}: {error}") from error
    except (BadZipFile, OSError, EOFError) as error:
        raise kind.error(str(kind.unreadable) % {"error": error}) from error


def damaged(kind: FileKind, detail: str) -> PortableFileError:
    return kind.error(str(kind.damaged) % {"detail": detail})


def manifest_checked(archive: ZipFile, kind: FileKind) -> dict[str, Any]:
    """The manifest, once the whole file has been found to be what it says it is."""
    try:
        manifest = json.loads(archive.read(MANIFEST))
    except KeyError:
        raise kind.error(str(kind.no_manifest)) from None
    except ValueError as error:
        raise damaged(kind, f"{MANIFEST}: {error}") from error
    if not isinstance(manifest, dict) or manifest.get("format") != kind.name:
        raise kind.error(str(kind.foreign))
    version = manifest.get("version")
    if not isinstance(version, int) or version < 1:
        raise damaged(kind, f"{MANIFEST}: version {version!r}")
    if version > kind.version:
        raise kind.error(
            _(
                "This file was exported by a newer release of Materia (format version "
                "%(version)d; this one reads up to version %(supported)d). Update Materia, "
                "then import it."
            )
            % {"version": version, "supported": kind.version}
        )
    digests = manifest.get("members") or {}
    for name in kind.members:
        if name not in archive.namelist() or name not in digests:
            raise damaged(kind, _("%(member)s is missing") % {"member": name})
        digest = hashlib.sha256()
        with archive.open(name) as member:  # its CRC is checked as it is read
            for block in iter(lambda: member.read(READ_BLOCK), b""):
                digest.update(block)
        if digest.hexdigest() != digests[name]:
            raise damaged(kind, _("%(member)s is not what was exported") % {"member": name})
    return manifest


def lines(archive: ZipFile, name: str, kind: FileKind) -> Iterator[dict[str, Any]]:
    """A JSON Lines member, a row at a time."""
    with archive.open(name) as member:
        for number, line in enumerate(member, start=1):
            try:
                yield json.loads(line)
            except ValueError as error:
                raise damaged(kind, f"{name}, line {number}: {error}") from error


def batches(rows: Iterable[dict[str, Any]], size: int = BATCH) -> Iterator[list[dict[str, Any]]]:
    """The rows in lists of at most *size*: stored a batch at a time, never all at once."""
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
