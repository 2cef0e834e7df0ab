"""Querysets built and compiled to SQL once, then run again with another value of one parameter.

A page that reads a dozen kinds of records of one patient spent more time building its querysets
and compiling them through the ORM than the database spent running them. A `Compiled` query is
built and compiled on its first run; each later run copies the compiler with the SQL it made and
binds the new value in place of a stand-in, so Django's own iterables still turn the rows into
records (with their `select_related` records and annotations) or values, as for any queryset.

Only the stand-in's value may differ between runs: whatever else shapes the query (the user's
sites, a date, a setting) belongs in the key of the cache that holds the `Compiled` object.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import connections
from django.db.models import QuerySet
from django.db.models.sql.compiler import SQLCompiler

_T = TypeVar("_T")

# Stand in for values while a query is compiled: no record's id, and within the range of a
# 32-bit integer, or Django would drop a comparison with one as always false or always true.
STAND_INS = (-2_147_483_001, -2_147_483_002)
STAND_IN = STAND_INS[0]


def stand_ins_check(params: Sequence[Any], *stand_ins: int) -> None:
    """Refuse compiled parameters that lack a stand-in: its value would be part of the SQL."""
    if not all(stand_in in params for stand_in in stand_ins):
        raise ValueError("The value must be a parameter of the query, not part of its SQL.")


def bound(params: Sequence[Any], values: Mapping[int, int]) -> tuple[Any, ...]:
    """The compiled parameters with each stand-in replaced by its value, of the stand-in's own
    type: the ORM may bind an integer as the driver's Int8."""
    return tuple(type(p)(values[p]) if isinstance(p, int) and p in values else p for p in params)


@dataclass(frozen=True)
class _Prepared:
    queryset: QuerySet[Any, Any]
    compiler: SQLCompiler
    sql: str
    params: tuple[Any, ...]


class Compiled(Generic[_T]):
    """`build(value)` as a list, the queryset built and compiled on the first call only.

    `build` must use `value` as a parameter of the query (a filter's value), never to choose
    the query's shape; the first call refuses a query where the value is not a parameter.
    """

    def __init__(self, build: Callable[[int], QuerySet[Any, _T]]) -> None:
        self.build = build
        self._prepared: _Prepared | None = None

    def _prepare(self) -> _Prepared:
        queryset = self.build(STAND_IN)
        compiler = queryset.query.get_compiler(using=queryset.db)
        sql, params = compiler.as_sql()  # also fills what the iterables read: select, klass_info
        stand_ins_check(params, STAND_IN)
        return _Prepared(queryset, compiler, sql, tuple(params))

    def __call__(self, value: int) -> list[_T]:
        prepared = self._prepared
        if prepared is None:
            prepared = self._prepared = self._prepare()
        params = bound(prepared.params, {STAND_IN: value})
        compiler = copy.copy(prepared.compiler)
        compiler.connection = connections[prepared.queryset.db]  # this thread's
        compiler.as_sql = lambda *args, **kwargs: (prepared.sql, params)  # type: ignore[method-assign]
        queryset = prepared.queryset.all()
        queryset.query.get_compiler = lambda *args, **kwargs: compiler  # type: ignore[method-assign]
        return list(queryset)
