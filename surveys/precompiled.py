"""Statements of the respondent's hot path whose SQL is built once per process.

Nearly every request of a respondent starts by reading its response (and survey) by the
resume token's hash. Through the ORM, building that statement (cloning the queryset,
resolving the filter, listing some 40 columns of two joined tables) cost more of
Django's time than PostgreSQL took to answer it. The statement never changes, so it is
compiled by the ORM once, on first use, and then only executed; the rows become model
instances by `Model.from_db`, as the ORM's own iterator makes them (`PrecompiledGet`).

The other reads a step repeats (its answers, the row lock of a save) are plain rows of
values: `PrecompiledRows` compiles such a queryset once and then only swaps its
parameters.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model, QuerySet
from django.db.models.sql.compiler import SQLCompiler

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


# Stand-ins for a PrecompiledRows statement's parameters while it is compiled: values no
# row holds and no query writes as a constant, so that each is found among the
# statement's parameters exactly once.
STAND_IN_ID = -7_160_342_901_337_117
STAND_IN_TEXT = _PLACEHOLDER


@dataclass(frozen=True)
class _CompiledRows:
    connection: BaseDatabaseWrapper
    compiler: SQLCompiler
    sql: str
    params: tuple[Any, ...]
    positions: tuple[int, ...]  # where each argument goes among `params`
    converters: dict[int, Any]


class PrecompiledRows:
    """The rows of `build(*arguments)`, a queryset of `values_list`, compiled once per
    thread and connection: `build` is called once, with `stand_ins` (STAND_IN_ID for a
    number, STAND_IN_TEXT for a text), each of which must reach the statement as one
    parameter of its own; later calls only put the arguments in their places. A queryset
    that locks (`select_for_update`) is compiled and executed inside a transaction."""

    def __init__(self, build: Callable[..., QuerySet[Any, Any]], *stand_ins: Any) -> None:
        self.build = build
        self.stand_ins = stand_ins
        self._local = threading.local()

    def rows(self, *arguments: Any) -> list[tuple[Any, ...]]:
        connection = connections[DEFAULT_DB_ALIAS]
        compiled: _CompiledRows | None = getattr(self._local, "compiled", None)
        if compiled is None or compiled.connection is not connection:
            compiled = self._local.compiled = self._compile(connection)
        params = list(compiled.params)
        for position, argument in zip(compiled.positions, arguments, strict=True):
            params[position] = argument
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        if compiled.converters and rows:  # what the database returns as it stores it
            rows = list(compiled.compiler.apply_converters(rows, compiled.converters))
        return [tuple(row) for row in rows]

    def _compile(self, connection: BaseDatabaseWrapper) -> _CompiledRows:
        queryset = self.build(*self.stand_ins)
        compiler = queryset.query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        params = tuple(params)
        positions = []
        for stand_in in self.stand_ins:
            found = [i for i, param in enumerate(params) if param == stand_in]
            if len(found) != 1:
                raise TypeError(f"cannot precompile {queryset.query}: {stand_in!r} × {len(found)}")
            positions.append(found[0])
        if len(set(positions)) != len(positions):
            raise TypeError(f"cannot precompile {queryset.query}: the same stand-in twice")
        converters = compiler.get_converters([column for column, _, _ in compiler.select])
        return _CompiledRows(connection, compiler, sql, params, tuple(positions), converters)
