"""Fixtures for alert tests: a fake clock and a real Redis server per test.

The Redis fixture starts Debian's `redis-server` on a free loopback port in a temp dir, with no
persistence, one per test, so a test can kill it (fail-open) and start it again on the same port
(reconciliation) without affecting any other test.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alert_support import REDIS_SERVER, FakeClock, RedisServer


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    if not Path(REDIS_SERVER).exists():
        pytest.skip("redis-server is not installed")
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()
