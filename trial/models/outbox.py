"""What the system sends and what it has done once: the transactional outbox and the keys of
creates that a client or a page may submit twice (README "Messages: the outbox").

An e-mail is a row written in the transaction of the record that causes it, then delivered by
a worker (trial/outbox/); a create made under a key is recorded with its outcome, so that the
same submission again replays it instead of creating a second record (trial/idempotency.py)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from trial.models.base import AuditedModel


class MessageStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Being sent by a worker")
    SENT = "sent", _("Sent")
    NO_RECIPIENT = "no_recipient", _("Not sent: nobody to send it to")


UNDELIVERED = (MessageStatus.PENDING, MessageStatus.SENDING)


class OutboundMessage(AuditedModel):
    """One e-mail, written with the record that causes it and sent once by a worker.

    `dedup_key` names the message in the words of its cause (the result of randomisation 12,
    the reminder of site PAR on 2027-04-01): a second request to queue it finds the first.
    """

    kind = models.CharField(
        _("kind"), max_length=50, help_text=_("What the message is, e.g. treatment.sae_alert.")
    )
    dedup_key = models.CharField(_("deduplication key"), max_length=200, unique=True)
    recipients = models.JSONField(_("recipients"), default=list, blank=True)
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(_("body"))
    related_type = models.ForeignKey(
        ContentType,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("related record type"),
    )
    related_id = models.PositiveBigIntegerField(_("related record id"), null=True, blank=True)
    related = GenericForeignKey("related_type", "related_id")
    status = models.CharField(
        _("status"), max_length=20, choices=MessageStatus.choices, default=MessageStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(
        _("next attempt at"), help_text=_("When a worker may try it (again).")
    )
    claimed_at = models.DateTimeField(
        _("claimed at"), null=True, blank=True, help_text=_("When a worker took it to send it.")
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbound message")
        verbose_name_plural = _("outbound messages")
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due"),
            models.Index(fields=["related_type", "related_id"], name="outbox_related"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status=MessageStatus.SENT, sent_at__isnull=False)
                | (~Q(status=MessageStatus.SENT) & Q(sent_at__isnull=True)),
                name="outbox_sent_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.dedup_key} ({self.get_status_display().lower()})"


class IdempotentRequest(AuditedModel):
    """A create made under a key the client (`Idempotency-Key`) or the page (form token) chose.

    Written in the transaction of the create, with its outcome (status and body, or the page
    to go to): the same user repeating the operation with the same key gets the outcome back
    and nothing is created again.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("user")
    )
    operation = models.CharField(_("operation"), max_length=200)
    key = models.CharField(_("key"), max_length=255)
    fingerprint = models.CharField(
        _("fingerprint"),
        max_length=64,
        blank=True,
        help_text=_("SHA-256 of the request's path and body."),
    )
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    response_body = models.TextField(
        _("response body"), blank=True, help_text=_("The JSON answered, as sent.")
    )

    class Meta:
        verbose_name = _("idempotent request")
        verbose_name_plural = _("idempotent requests")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "operation", "key"], name="idempotent_request_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.operation} {self.key}"
