"""Statements of the respondent's hot path whose SQL is built once per process.

Nearly every request of a respondent starts by reading its response (and survey) by the
resume token's hash. Through the ORM, building that statement (cloning the queryset,
resolving the filter, listing some 40 columns of two joined tables) cost more of
Django's time than PostgreSQL took to answer it. The statement never changes, so it is
compiled by the ORM once, on first use, and then only executed; the rows become model
instances by `Model.from_db`, as the ORM's own iterator makes them (`PrecompiledGet`).

The other statements a step or a scores run repeats (a step's answers, a save's row
lock, a run's claim and store) are rows of values or UPDATEs: `CompiledStatement`
compiles such a queryset (or `update_query`) once and then only swaps its arguments.
They are the ORM's own statements, with the same conditions. `update_row` writes a plain
UPDATE … WHERE column = value without the ORM's statement building.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper
from django.db.models import Model, QuerySet
from django.db.models.sql import Query, UpdateQuery
from django.db.models.sql.compiler import SQLCompiler
from django.db.transaction import TransactionManagementError

from surveys.tally_sql import update_sql

M = TypeVar("M", bound=Model)

# What the compiled statement's one parameter stands for until it is executed.
_PLACEHOLDER = "\x00precompiled\x00"


@dataclass(frozen=True)
class _Compiled:
    connection: BaseDatabaseWrapper
    compiler: SQLCompiler
    sql: str
    converters: dict[int, Any]


class PrecompiledGet(Generic[M]):
    """`model.objects.select_related(*related).get(**{column: value})`, but compiled
    once per thread (each thread has its own connection, and the values' converters
    belong to it): `related` names foreign keys of `model` itself (one level), and
    `column` a unique field, so that at most one row comes back."""

    def __init__(self, model: type[M], column: str, related: Sequence[str] = ()) -> None:
        self.model = model
        self.column = column
        # The compiler selects the joined models' columns in the order of the model's
        # fields, whatever the order they were asked in: the rows are cut in that order.
        fields = [field.name for field in model._meta.concrete_fields]
        self.related = tuple(sorted(related, key=fields.index))
        self._local = threading.local()

    def get(self, value: Any) -> M | None:
        connection = connections[DEFAULT_DB_ALIAS]
        compiled: _Compiled | None = getattr(self._local, "compiled", None)
        if compiled is None or compiled.connection is not connection:
            compiled = self._local.compiled = self._compile(connection)
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, [value])
            row = cursor.fetchone()
        if row is None:
            return None
        if compiled.converters:  # what the database returns as it stores it (SQLite's JSON)
            (row,) = compiled.compiler.apply_converters([row], compiled.converters)
        return self._instances(row)

    def _compile(self, connection: BaseDatabaseWrapper) -> _Compiled:
        queryset = self.model._default_manager.select_related(*self.related).filter(
            **{self.column: _PLACEHOLDER}
        )
        compiler = queryset.query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        expected = sum(len(model._meta.concrete_fields) for model in self._models())
        # The rows are cut by the models' own field lists: refuse a statement that does
        # not select exactly those columns, or takes any other parameter.
        if list(params) != [_PLACEHOLDER] or len(compiler.select) != expected:
            raise TypeError(f"cannot precompile {queryset.query}")
        converters = compiler.get_converters([column for column, _, _ in compiler.select])
        return _Compiled(connection, compiler, sql, converters)

    def _models(self) -> list[type[Model]]:
        related = [self.model._meta.get_field(name).related_model for name in self.related]
        return [self.model, *related]  # type: ignore[list-item]

    def _instances(self, row: Sequence[Any]) -> M:
        start = 0
        instances: list[Model | None] = []
        for model in self._models():
            fields = model._meta.concrete_fields
            values = row[start : start + len(fields)]
            start += len(fields)
            # A null foreign key's join brings nulls only: no instance, as the ORM does.
            pk_at = fields.index(model._meta.pk)
            instances.append(
                None
                if values[pk_at] is None
                else model.from_db(DEFAULT_DB_ALIAS, [f.attname for f in fields], values)
            )
        instance, *others = instances
        if not isinstance(instance, self.model):  # a row's own primary key is never null
            raise TypeError(f"no {self.model.__name__} in the row")
        for name, other in zip(self.related, others, strict=True):
            self.model._meta.get_field(name).set_cached_value(instance, other)  # type: ignore[union-attr]
        return instance


# Stand-ins for a CompiledStatement's arguments while it is compiled: values no row holds
# and no query writes as a constant, each argument's its own (the number, text or
# microseconds differ), so that each is found among the statement's parameters once.
_STAND_IN_ID = -7_160_342_901_337_117
_STAND_IN_TEXT = _PLACEHOLDER
# The stand-in of a time: no run is claimed in 1901. Each argument has a stand-in of its
# own (the microseconds, the id or the text differ), so that each is found once.
_STAND_IN_TIME = datetime(1901, 12, 13, 20, 45, 52, tzinfo=UTC)


def _stand_in(kind: type, position: int) -> Any:
    if kind is int:
        return _STAND_IN_ID - position
    if kind is str:
        return f"{_STAND_IN_TEXT}{position}"
    if kind is datetime:
        return _STAND_IN_TIME.replace(microsecond=position + 1)
    raise TypeError(f"no stand-in for {kind.__name__}")


def _adapter(kind: type, connection: BaseDatabaseWrapper) -> Callable[[Any], Any]:
    """How an argument of `kind` reaches the statement's parameters: a time as the
    backend adapts a DateTimeField's value (SQLite's is a text), the others as they are."""
    if kind is datetime:
        return connection.ops.adapt_datetimefield_value
    return _same


def _same(value: Any) -> Any:
    return value


def update_query(queryset: QuerySet[Any, Any], **values: Any) -> UpdateQuery:
    """The query `queryset.update(**values)` executes (QuerySet.update, for a queryset
    without ordering or annotations)."""
    if queryset.query.order_by or queryset.query.annotations:
        raise TypeError("update_query takes a queryset without ordering or annotations")
    query = queryset.query.chain(UpdateQuery)
    if not isinstance(query, UpdateQuery):  # pragma: no cover - chain makes one
        raise TypeError("not an update")
    query.add_update_values(values)
    query.clear_select_clause()
    return query


@dataclass(frozen=True)
class _Statement:
    connection: BaseDatabaseWrapper
    compiler: SQLCompiler
    sql: str
    params: tuple[Any, ...]
    positions: tuple[int, ...]  # where each argument goes among `params`
    adapters: tuple[Callable[[Any], Any], ...]
    converters: dict[int, Any]


class CompiledStatement:
    """The statement of `build(*stand_ins)` (a queryset, or an `update_query`), compiled
    once per thread and connection: `kinds` are the types of its arguments (int, str,
    datetime), each of which must reach the statement as one parameter of its own; later
    calls only put the arguments, adapted, in their places. A statement that locks
    (`select_for_update`) is compiled and executed inside a transaction."""

    def __init__(self, build: Callable[..., QuerySet[Any, Any] | Query], *kinds: type) -> None:
        self.build = build
        self.kinds = kinds
        self._local = threading.local()

    def rows(self, *arguments: Any) -> list[tuple[Any, ...]]:
        """The rows of a select, converted as the ORM converts them."""
        compiled = self._compiled()
        with _executing(compiled) as cursor:
            cursor.execute(compiled.sql, self._params(compiled, arguments))
            rows = cursor.fetchall()
        if compiled.converters and rows:  # what the database returns as it stores it
            rows = list(compiled.compiler.apply_converters(rows, compiled.converters))
        return [tuple(row) for row in rows]

    def rowcount(self, *arguments: Any) -> int:
        """How many rows an UPDATE changed."""
        compiled = self._compiled()
        with _executing(compiled) as cursor:
            cursor.execute(compiled.sql, self._params(compiled, arguments))
            return int(cursor.rowcount)

    def compiler(self) -> SQLCompiler:
        """The compiler of this thread's statement (its selected columns, say)."""
        return self._compiled().compiler

    def _compiled(self) -> _Statement:
        connection = connections[DEFAULT_DB_ALIAS]
        compiled: _Statement | None = getattr(self._local, "compiled", None)
        if compiled is None or compiled.connection is not connection:
            compiled = self._local.compiled = self._compile(connection)
        return compiled

    def _params(self, compiled: _Statement, arguments: Sequence[Any]) -> list[Any]:
        params = list(compiled.params)
        for position, adapt, kind, argument in zip(
            compiled.positions, compiled.adapters, self.kinds, arguments, strict=True
        ):
            # The ORM would have prepared another value (None is IS NULL, not = NULL).
            if not isinstance(argument, kind) or isinstance(argument, bool):
                raise TypeError(f"a {kind.__name__} is wanted, not {argument!r}")
            params[position] = adapt(argument)
        return params

    def _compile(self, connection: BaseDatabaseWrapper) -> _Statement:
        stand_ins = [_stand_in(kind, i) for i, kind in enumerate(self.kinds)]
        built = self.build(*stand_ins)
        query = built.query if isinstance(built, QuerySet) else built
        compiler = query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        params = tuple(params)
        adapters = tuple(_adapter(kind, connection) for kind in self.kinds)
        positions = []
        for stand_in, adapt in zip(stand_ins, adapters, strict=True):
            adapted = adapt(stand_in)
            found = [i for i, param in enumerate(params) if param == adapted]
            if len(found) != 1:
                raise TypeError(f"cannot compile {sql}: {stand_in!r} × {len(found)}")
            positions.append(found[0])
        converters = (
            compiler.get_converters([column for column, _, _ in compiler.select])
            if compiler.select
            else {}
        )
        return _Statement(connection, compiler, sql, params, tuple(positions), adapters, converters)


@contextmanager
def _executing(compiled: _Statement) -> Iterator[CursorWrapper]:
    """A cursor for a compiled statement, with the checks the ORM makes on every run and
    not only on the first: a lock belongs inside a transaction, and a failed statement
    marks the transaction it is in for rollback."""
    connection = compiled.connection
    if compiled.compiler.query.select_for_update and not connection.in_atomic_block:
        raise TransactionManagementError(
            "select_for_update cannot be used outside of a transaction."
        )
    with transaction.mark_for_rollback_on_error(connection.alias), connection.cursor() as cursor:
        yield cursor


def update_row(
    model: type[models.Model], where: Mapping[str, Any], values: Mapping[str, Any]
) -> int:
    """`model.objects.filter(**where).update(**values)` for equalities on columns and
    plain values (no expressions), without building the statement through the ORM: each
    value is prepared by its field as the ORM's UPDATE prepares it (a JSON column's
    value, a time as the backend takes it). Returns how many rows it changed."""
    connection = connections[DEFAULT_DB_ALIAS]
    meta = model._meta

    def prepared(items: Mapping[str, Any]) -> dict[str, Any]:
        out = {}
        for name, value in items.items():
            field = meta.get_field(name)
            if not isinstance(field, models.Field) or isinstance(value, models.Model):
                raise TypeError(f"update_row takes column values, not {name}={value!r}")
            out[name] = field.get_db_prep_save(value, connection=connection)
        return out

    if any(value is None for value in where.values()):  # `= NULL` would match nothing
        raise TypeError("update_row's conditions are equalities to values, not None")
    sql, params = update_sql(model, prepared(values), prepared(where))
    with transaction.mark_for_rollback_on_error(connection.alias), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.rowcount)
