"""Fixtures of the deployment tests: a real Redis server for the whole session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.deploy.support import redis_server


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """The URL of a throwaway ``redis-server`` (skips the test when the binary is missing)."""
    with redis_server() as url:
        yield url


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[object]:
    """A client of that server, emptied before the test."""
    import redis

    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.close()
