"""Fixtures for channel tests: real servers on 127.0.0.1 (bohran.receivers and servers.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bohran.receivers import WebhookReceiver

from .servers import (
    AlertmanagerProcess,
    SmtpServer,
    TlsFiles,
    make_tls_files,
    start_alertmanager,
    start_smtp,
    starttls_auth_options,
)


@pytest.fixture
def http_receiver() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return make_tls_files(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def smtp_plain() -> Iterator[SmtpServer]:
    controller, server = start_smtp()
    try:
        yield server
    finally:
        controller.stop()


@pytest.fixture
def smtp_starttls(tls_files: TlsFiles) -> Iterator[SmtpServer]:
    controller, server = start_smtp(**starttls_auth_options(tls_files))
    try:
        yield server
    finally:
        controller.stop()


@pytest.fixture
def smtp_implicit_tls(tls_files: TlsFiles) -> Iterator[SmtpServer]:
    controller, server = start_smtp(ssl_context=tls_files.server_context())
    try:
        yield server
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def alertmanager(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AlertmanagerProcess]:
    am = start_alertmanager(tmp_path_factory.mktemp("alertmanager"))
    try:
        yield am
    finally:
        am.stop()
