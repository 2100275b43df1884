"""Email channel against real aiosmtpd servers on loopback: plain, STARTTLS + auth, implicit TLS."""

from __future__ import annotations

import ssl
from email import message_from_bytes, policy

import pytest
from factories import make_hostile_notification, make_notification

from alerts.channels.base import DeliveryFailed, Secret
from alerts.channels.email import SmtpEmailChannel

from .servers import SMTP_PASSWORD, SMTP_USER, free_port

FROM = "bohran@example.org"
TO = ["pr-oncall@example.org", "after-sales@example.org"]


def received(server, index: int = 0):
    envelope = server.handler.envelopes[index]
    return envelope, message_from_bytes(envelope.original_content, policy=policy.default)


async def test_plain_smtp_delivers_multipart_to_every_recipient(smtp_plain):
    channel = SmtpEmailChannel(
        "email-pr", host=smtp_plain.host, port=smtp_plain.port, from_addr=FROM, to=TO, security="none"
    )
    await channel.send(make_notification())
    envelope, msg = received(smtp_plain)
    assert envelope.mail_from == FROM and envelope.rcpt_tos == TO
    assert msg["Subject"] == "[CRITICAL] نوین‌نت (NovinNet): Negative-mention spike"
    assert msg.get_content_type() == "multipart/alternative"
    assert 'dir="rtl"' in msg.get_body(("html",)).get_content()


async def test_starttls_with_auth_from_secrets(smtp_starttls, tls_files):
    channel = SmtpEmailChannel(
        "email-pr",
        host=smtp_starttls.host,
        port=smtp_starttls.port,
        from_addr=FROM,
        to=TO[:1],
        security="starttls",
        username=Secret(SMTP_USER),
        password=Secret(SMTP_PASSWORD),
        ssl_context=tls_files.client_context(),
    )
    await channel.send(make_notification())
    envelope, msg = received(smtp_starttls)
    assert envelope.rcpt_tos == TO[:1]
    assert "42 negative mentions" in msg.get_body(("plain",)).get_content()
    assert SMTP_PASSWORD not in repr(channel) and SMTP_USER not in repr(channel)


async def test_wrong_password_is_permanent_and_not_echoed(smtp_starttls, tls_files):
    channel = SmtpEmailChannel(
        "email-pr",
        host=smtp_starttls.host,
        port=smtp_starttls.port,
        from_addr=FROM,
        to=TO,
        security="starttls",
        username=Secret(SMTP_USER),
        password=Secret("wrong-horse-battery"),
        ssl_context=tls_files.client_context(),
    )
    with pytest.raises(DeliveryFailed) as info:
        await channel.send(make_notification())
    assert info.value.retryable is False and "login refused (535)" in info.value.message
    assert "wrong-horse" not in info.value.message
    assert smtp_starttls.handler.envelopes == []


async def test_starttls_required_but_not_used_is_refused(smtp_starttls):
    channel = SmtpEmailChannel(
        "email-pr", host=smtp_starttls.host, port=smtp_starttls.port, from_addr=FROM, to=TO, security="none"
    )
    with pytest.raises(DeliveryFailed) as info:
        await channel.send(make_notification())
    assert info.value.retryable is False  # 530 "Must issue a STARTTLS command first" is a 5xx
    assert smtp_starttls.handler.envelopes == []


async def test_untrusted_certificate_is_a_permanent_config_error(smtp_starttls):
    channel = SmtpEmailChannel(
        "email-pr",
        host=smtp_starttls.host,
        port=smtp_starttls.port,
        from_addr=FROM,
        to=TO,
        security="starttls",
        ssl_context=ssl.create_default_context(),  # system CAs: our self-signed cert is unknown
    )
    with pytest.raises(DeliveryFailed) as info:
        await channel.send(make_notification())
    assert info.value.retryable is False and "certificate" in info.value.message


async def test_implicit_tls(smtp_implicit_tls, tls_files):
    channel = SmtpEmailChannel(
        "email-pr",
        host=smtp_implicit_tls.host,
        port=smtp_implicit_tls.port,
        from_addr=FROM,
        to=TO,
        security="tls",
        ssl_context=tls_files.client_context(),
    )
    await channel.send(make_notification())
    assert len(smtp_implicit_tls.handler.envelopes) == 1


async def test_server_down_is_retryable():
    channel = SmtpEmailChannel(
        "email-pr", host="127.0.0.1", port=free_port(), from_addr=FROM, to=TO, security="none"
    )
    with pytest.raises(DeliveryFailed) as info:
        await channel.send(make_notification())
    assert info.value.retryable is True and "127.0.0.1" in info.value.message


async def test_hostile_text_cannot_add_recipients_or_headers(smtp_plain):
    channel = SmtpEmailChannel(
        "email-pr", host=smtp_plain.host, port=smtp_plain.port, from_addr=FROM, to=TO[:1], security="none"
    )
    await channel.send(make_hostile_notification())
    envelope, msg = received(smtp_plain)
    assert envelope.rcpt_tos == TO[:1]  # no "x@y" smuggled in through a Bcc line
    assert msg["Bcc"] is None and msg["To"] == TO[0]
    html = msg.get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_username_without_password_is_rejected():
    with pytest.raises(ValueError, match="username and password go together"):
        SmtpEmailChannel("e", host="h", port=25, from_addr=FROM, to=TO, username=Secret("u"))
