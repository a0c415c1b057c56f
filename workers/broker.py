"""The Redis broker transport, with a guard for one kombu race when Redis goes away.

When the broker connection drops, Celery closes it and kombu's channel tries to hand
the messages it had delivered back to Redis through a connection pool it has already
dropped (kombu 5.7: ``AttributeError`` on ``conninfo.hostname``). That error is not a
connection error, so it escapes Celery's guard and stops the whole worker, on about one
Redis restart in six in our fault tests. Nothing needs that hand-back: the messages are
still in the broker's unacknowledged set, and the visibility sweep gives them back.
"""

from __future__ import annotations

import logging

from kombu.transport import redis as kombu_redis

log = logging.getLogger(__name__)

# The value of Celery's ``broker_transport``: the stock transport with this channel.
TRANSPORT_PATH = "workers.broker:Transport"


class Channel(kombu_redis.Channel):
    """A kombu Redis channel whose close survives a connection already torn down."""

    def close(self) -> None:
        """Close the channel; leave delivered messages to the visibility sweep if it must."""
        try:
            super().close()
        except AttributeError as exc:
            log.warning(
                "broker channel closed without handing back its messages (%s); they "
                "return after the visibility timeout",
                exc,
            )


class Transport(kombu_redis.Transport):
    """kombu's Redis transport, using :class:`Channel`."""

    Channel = Channel
