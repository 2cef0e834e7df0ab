"""The transactional outbox: every e-mail the system sends (README "Messages: the outbox").

Any app queues a message inside the transaction of the record that causes it::

    from trial.outbox import message_queue

    message_queue(kind="treatment.sae_alert", key=f"treatment.sae_alert:{event.pk}:1",
                  recipients=[...], subject="...", body="...", now=now, related=event)

A worker delivers it (`trial.outbox_deliver`, retried with backoff) and beat's sweep
(`trial.outbox_sweep`) hands over whatever was left behind. An app that records the delivery
on its own record registers with `delivered_listen` at start-up. A message written in each
recipient's language is queued with `queue_by_language`, once per language.
"""

from trial.outbox.delivery import DeliveryFailed, delivered_listen
from trial.outbox.queue import message_queue, queue_by_language

__all__ = ["DeliveryFailed", "delivered_listen", "message_queue", "queue_by_language"]
