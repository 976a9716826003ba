"""Delivery of one message: console (demo), outbox-only (tests), HTTP SMS gateway, SMTP."""

from __future__ import annotations

import asyncio
import logging
import smtplib
from email.message import EmailMessage
from typing import Protocol

import httpx

from urna.core.config import Settings

log = logging.getLogger("urna.notify")


class Provider(Protocol):
    async def send(self, *, channel: str, recipient: str, text: str) -> None: ...


class ConsoleProvider:
    """Prints the message on the server console: for the demo on a bare machine."""

    async def send(self, *, channel: str, recipient: str, text: str) -> None:
        masked = recipient[:3] + "…" + recipient[-2:]
        log.warning("[demo %s to %s] %s", channel, masked, text)


class HttpSmsProvider:
    """POSTs JSON {to, text} to an SMS gateway with a bearer token."""

    def __init__(self, url: str, token: str | None) -> None:
        self.url = url
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    async def send(self, *, channel: str, recipient: str, text: str) -> None:
        if channel != "sms":
            raise ValueError("the HTTP SMS provider sends SMS only")
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.post(
                self.url, json={"to": recipient, "text": text}, headers=self.headers
            )
            response.raise_for_status()


class SmtpProvider:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def _send_sync(self, recipient: str, text: str) -> None:
        message = EmailMessage()
        message["From"] = self.settings.smtp_from
        message["To"] = recipient
        message["Subject"] = "Kod potwierdzający / Confirmation code"
        message.set_content(text)
        with smtplib.SMTP(self.settings.smtp_host or "localhost", self.settings.smtp_port) as smtp:
            smtp.starttls()
            if self.settings.smtp_user and self.settings.smtp_password:
                smtp.login(self.settings.smtp_user, self.settings.smtp_password.get_secret_value())
            smtp.send_message(message)

    async def send(self, *, channel: str, recipient: str, text: str) -> None:
        if channel != "email":
            raise ValueError("the SMTP provider sends e-mail only")
        await asyncio.to_thread(self._send_sync, recipient, text)


class RoutingProvider:
    """SMS through the gateway, e-mail through SMTP."""

    def __init__(self, sms: Provider | None, email: Provider | None) -> None:
        self.routes = {"sms": sms, "email": email}

    async def send(self, *, channel: str, recipient: str, text: str) -> None:
        provider = self.routes.get(channel)
        if provider is None:
            raise RuntimeError(f"no provider configured for {channel}")
        await provider.send(channel=channel, recipient=recipient, text=text)


def provider_for(settings: Settings) -> Provider | None:
    """None means: keep messages in the outbox (tests read them there)."""
    if settings.notify_provider == "outbox":
        return None
    if settings.notify_provider == "console":
        return ConsoleProvider()
    sms = (
        HttpSmsProvider(
            settings.sms_http_url,
            settings.sms_http_token.get_secret_value() if settings.sms_http_token else None,
        )
        if settings.sms_http_url
        else None
    )
    email = SmtpProvider(settings) if settings.smtp_host else None
    return RoutingProvider(sms, email)
