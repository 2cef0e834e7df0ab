"""Data queries on any clinical record, their messages and state changes, and the digest that
tells people about them (docs/protocol.md "Data cleaning and locking").

A query points at one record of any app (content type + id) and optionally one field of it,
and carries the record's patient for site isolation. What was said and every change of state
are rows of their own, written once and never edited: the query's own row only keeps where it
stands now, for listing and ageing.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from trial.models import AuditedModel, Patient
from trial.querysets import SiteScopedQuerySet


class QueryCategory(models.TextChoices):
    MISSING = "missing", _("Missing")
    INCONSISTENT = "inconsistent", _("Inconsistent")
    OUT_OF_RANGE = "out_of_range", _("Out of range")
    PROTOCOL_DEVIATION = "protocol_deviation", _("Protocol deviation")
    OTHER = "other", _("Other")


class QueryState(models.TextChoices):
    OPEN = "open", _("Open")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed")


# Not closed: the site or the raiser still has something to do.
UNRESOLVED = (QueryState.OPEN, QueryState.ANSWERED)


class QueryOrigin(models.TextChoices):
    MANUAL = "manual", _("Raised by a person")
    SYSTEM = "system", _("Raised by an edit check")


class DataQuery(AuditedModel):
    """A question about a record (or one field of it), from a person or an edit check."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="data_queries")
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    field_name = models.CharField(
        max_length=64,
        blank=True,
        help_text=_("The field the query is about; empty: the record."),
    )
    category = models.CharField(max_length=20, choices=QueryCategory.choices)
    origin = models.CharField(max_length=10, choices=QueryOrigin.choices)
    rule_id = models.CharField(
        _("Edit check"),
        max_length=40,
        blank=True,
        help_text=_("The edit check of a system query."),
    )
    finding = models.TextField(blank=True, help_text=_("What the edit check found, as it stands."))
    state = models.CharField(max_length=10, choices=QueryState.choices, default=QueryState.OPEN)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    raised_at = models.DateTimeField()
    first_answered_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty on a closed system query: closed by its edit check, the data now hold."),
    )

    site_path = "patient__site"
    objects = SiteScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("data query")
        verbose_name_plural = _("data queries")
        constraints = [
            # The nightly run and the saves may find the same thing: one open query for it.
            models.UniqueConstraint(
                fields=["rule_id", "content_type", "object_id", "field_name"],
                condition=Q(origin="system") & ~Q(state="closed"),
                name="data_query_one_open_per_check_record_field",
            ),
            models.CheckConstraint(
                condition=(Q(origin="system", raised_by__isnull=True) & ~Q(rule_id=""))
                | Q(origin="manual", raised_by__isnull=False, rule_id=""),
                name="data_query_origin_consistent",
            ),
            models.CheckConstraint(
                condition=Q(state="closed", closed_at__isnull=False)
                | (~Q(state="closed") & Q(closed_at__isnull=True)),
                name="data_query_closed_iff_closed_at",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "patient"], name="data_query_state_patient"),
            models.Index(fields=["content_type", "object_id"], name="data_query_record"),
        ]

    def __str__(self) -> str:
        return f"Query #{self.pk}"

    @property
    def is_system(self) -> bool:
        return self.origin == QueryOrigin.SYSTEM

    @property
    def unresolved(self) -> bool:
        return self.state in UNRESOLVED


class ImmutableRow(AuditedModel):
    """A row written once: neither changed nor deleted afterwards."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ValueError(f"A {self._meta.verbose_name} is never changed once written.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ValueError(f"A {self._meta.verbose_name} is never deleted.")


class MessageKind(models.TextChoices):
    RAISED = "raised", _("Query")
    ANSWER = "answer", _("Answer")
    REOPEN = "reopen", _("Re-opened")
    CLOSE = "close", _("Closing note")
    CHECK = "check", _("Edit check")


class QueryMessage(ImmutableRow):
    """What someone (or an edit check, author empty) said on a query, and when."""

    query = models.ForeignKey(DataQuery, on_delete=models.PROTECT, related_name="messages")
    kind = models.CharField(max_length=10, choices=MessageKind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    written_at = models.DateTimeField()
    text = models.TextField()

    class Meta:
        verbose_name = _("query message")
        verbose_name_plural = _("query messages")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on query #{self.query_id}"


class QueryStateChange(ImmutableRow):
    """One move of a query from a state to another, by whom (empty: an edit check) and when."""

    query = models.ForeignKey(DataQuery, on_delete=models.PROTECT, related_name="transitions")
    from_state = models.CharField(max_length=10, choices=QueryState.choices, blank=True)
    to_state = models.CharField(max_length=10, choices=QueryState.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField()
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("query state change")
        verbose_name_plural = _("query state changes")

    def __str__(self) -> str:
        return f"Query #{self.query_id}: {self.from_state or '—'} → {self.to_state}"


class QueryDigest(AuditedModel):
    """The one e-mail of a day to a person about queries: its row guards against a second."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="query_digests"
    )
    day = models.DateField()
    sent_at = models.DateTimeField()
    recipient = models.EmailField()
    subject = models.CharField(max_length=200)
    body = models.TextField()

    class Meta:
        verbose_name = _("query digest")
        verbose_name_plural = _("query digests")
        constraints = [
            models.UniqueConstraint(fields=["user", "day"], name="query_digest_once_a_day")
        ]

    def __str__(self) -> str:
        return f"Query digest to {self.recipient} on {self.day:%Y-%m-%d}"
