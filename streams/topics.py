"""Topic names and partition counts, and explicit creation before anything produces.

Topics keyed by brand (`mentions-enriched`, `signals`, the `brand-state` changelog) share one
partition count so they stay co-partitioned; creating them up front (instead of relying on broker
auto-creation with its default of one partition) is what makes that true.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass

MENTIONS = "mentions"
MENTIONS_ENRICHED = "mentions-enriched"
SIGNALS = "signals"
ALERTS = "alerts"
MENTIONS_DLQ = "mentions-dlq"
ALERTS_DLQ = "alerts-dlq"
DIGESTS = "digests"  # the detect stage's tick writes advocates digests here; the alert stage delivers them
ALL_TOPICS = (MENTIONS, MENTIONS_ENRICHED, SIGNALS, ALERTS, MENTIONS_DLQ, ALERTS_DLQ, DIGESTS)


@dataclass(frozen=True, slots=True)
class TopicLayout:
    partitions: int = 6
    replication: int = 1
    prefix: str = ""  # isolates deployments (and tests) sharing one cluster

    def name(self, base: str) -> str:
        return f"{self.prefix}{base}"

    @classmethod
    def from_env(cls) -> TopicLayout:
        return cls(
            partitions=int(os.environ.get("BOHRAN_PARTITIONS", "6")),
            replication=int(os.environ.get("BOHRAN_REPLICATION", "1")),
            prefix=os.environ.get("BOHRAN_TOPIC_PREFIX", ""),
        )

    def partitions_for(self, topic: str) -> int:
        # DLQs and the audit topic are low volume and unkeyed.
        return self.partitions if topic in (MENTIONS, MENTIONS_ENRICHED, SIGNALS) else min(self.partitions, 3)


def ensure_topics(bootstrap: str, layout: TopicLayout, timeout_s: float = 30.0) -> list[str]:
    """Create any missing bohran topic with its partition count; return the names created."""
    from kafka.admin import KafkaAdminClient, NewTopic
    from kafka.errors import TopicAlreadyExistsError

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="bohran-admin", request_timeout_ms=int(timeout_s * 1000))
    try:
        existing = set(admin.list_topics())
        missing = [t for t in ALL_TOPICS if layout.name(t) not in existing]
        if not missing:
            return []
        new = [
            NewTopic(layout.name(t), num_partitions=layout.partitions_for(t), replication_factor=layout.replication)
            for t in missing
        ]
        with contextlib.suppress(TopicAlreadyExistsError):  # another process won the race; same layout
            admin.create_topics(new, validate_only=False)
        return [layout.name(t) for t in missing]
    finally:
        admin.close()
