"""A queryset compiled once and run with other values gives what the queryset itself gives."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from django.db.models import Count
from django.db.models.sql.compiler import SQLCompiler

from tests.factories import screened_patient
from trial.compiled import Compiled
from trial.models import Patient, Site, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def patients(site_a: Site, site_b: Site, coordinator: User, coordinator_b: User) -> list[Patient]:
    return [
        screened_patient(site_a, coordinator),
        screened_patient(site_a, coordinator),
        screened_patient(site_b, coordinator_b),
    ]


def _of_site(site_id: int) -> Any:
    return Patient.objects.filter(site_id=site_id).select_related("site").order_by("pk")


class TestCompiled:
    def test_each_value_gives_the_records_of_its_own_queryset(
        self, patients: list[Patient], site_a: Site, site_b: Site, django_assert_num_queries: Any
    ) -> None:
        compiled = Compiled(_of_site)

        for site in (site_a, site_b, site_a):
            with django_assert_num_queries(1):
                got = compiled(site.pk)
                assert [p.site.code for p in got] == [site.code] * len(got)  # no query more
            assert got == list(_of_site(site.pk))
        assert len(compiled(site_a.pk)) == 2
        assert compiled(-1) == []

    def test_the_queryset_is_built_and_compiled_on_the_first_run_only(
        self, patients: list[Patient], site_a: Site, site_b: Site
    ) -> None:
        build = mock.Mock(side_effect=_of_site)
        compiled = Compiled(build)
        compile_sql = SQLCompiler.as_sql

        with mock.patch.object(SQLCompiler, "as_sql", autospec=True) as as_sql:
            as_sql.side_effect = compile_sql
            compiled(site_a.pk)
            compiled(site_b.pk)
            compiled(site_a.pk)

        assert build.call_count == 1
        assert as_sql.call_count == 1

    def test_annotations_and_values_are_read_as_the_queryset_reads_them(
        self, patients: list[Patient], site_a: Site, site_b: Site
    ) -> None:
        def counted(site_id: int) -> Any:
            return (
                Site.objects.filter(pk=site_id)
                .annotate(screened=Count("patients"))
                .values_list("code", "screened")
            )

        compiled = Compiled(counted)

        assert compiled(site_a.pk) == [(site_a.code, 2)]
        assert compiled(site_b.pk) == [(site_b.code, 1)]

    def test_a_value_that_is_not_a_parameter_of_the_query_is_refused(self, site_a: Site) -> None:
        compiled = Compiled(lambda value: Patient.objects.filter(screening_number=str(value)))

        with pytest.raises(ValueError, match="must be a parameter"):
            compiled(site_a.pk)
