"""The invitation email: SMTP settings, the job that sends it (only while the invitation
stands, never logging its link), TLS that is never silently dropped, and retries."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from arq import Retry
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from api.config import MailSettings, get_settings
from api.mail import Mail, MailError, Tls, build_message, parse_smtp_url
from tests.api.team.smtp_stub import SmtpStub
from tests.api.team.team_data import INVITATIONS, accept, invite, token_of
from tests.helpers import create_account
from worker import tasks


@pytest.fixture
async def smtp() -> AsyncIterator[SmtpStub]:
    stub = await SmtpStub().start()
    yield stub
    await stub.stop()


def configure(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("MAIL_SMTP_URL", url)
    monkeypatch.setenv("MAIL_FROM", "Parley <no-reply@parley.test>")
    get_settings.cache_clear()


@pytest.fixture
def plain_smtp(smtp: SmtpStub, monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpStub]:
    configure(monkeypatch, f"smtp://mailer:s%40cret@127.0.0.1:{smtp.port}?tls=none")
    yield smtp
    monkeypatch.delenv("MAIL_SMTP_URL")
    get_settings.cache_clear()


@pytest.fixture
def starttls_smtp(smtp: SmtpStub, monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpStub]:
    configure(monkeypatch, f"smtp://mailer:secret@127.0.0.1:{smtp.port}")
    yield smtp
    monkeypatch.delenv("MAIL_SMTP_URL")
    get_settings.cache_clear()


async def run_job(invitation: dict[str, str], job_try: int = 1) -> str:
    token = token_of(invitation["invite_url"])
    return await tasks.send_invitation_email({"job_try": job_try}, invitation["id"], token)


# --- settings ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "host", "port", "user", "password", "tls"),
    [
        ("smtp://u:p%40ss@mail.example.com", "mail.example.com", 587, "u", "p@ss", Tls.STARTTLS),
        ("smtp://mail.example.com:2525", "mail.example.com", 2525, None, None, Tls.STARTTLS),
        ("smtps://u:p@mail.example.com", "mail.example.com", 465, "u", "p", Tls.IMPLICIT),
        ("smtp://127.0.0.1:1025?tls=none", "127.0.0.1", 1025, None, None, Tls.NONE),
    ],
)
def test_the_smtp_url_says_where_and_how(
    url: str, host: str, port: int, user: str | None, password: str | None, tls: Tls
) -> None:
    server = parse_smtp_url(url)
    assert (server.host, server.port, server.username, server.password, server.tls) == (
        host,
        port,
        user,
        password,
        tls,
    )


def test_implicit_tls_cannot_be_turned_off() -> None:
    assert parse_smtp_url("smtps://mail.example.com?tls=none").tls is Tls.IMPLICIT


@pytest.mark.parametrize("url", ["http://mail.example.com", "smtp://", "smtp://host:notaport"])
def test_a_bad_smtp_url_is_refused(url: str) -> None:
    with pytest.raises(MailError):
        parse_smtp_url(url)


def test_mail_settings_are_checked_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    assert MailSettings().enabled is False  # no SMTP: no email, the link is copied
    monkeypatch.setenv("MAIL_SMTP_URL", "https://mail.example.com")
    with pytest.raises(ValidationError, match="smtp://"):
        MailSettings()
    monkeypatch.setenv("MAIL_SMTP_URL", "smtp://mail.example.com")
    with pytest.raises(ValidationError, match="MAIL_FROM"):
        MailSettings()
    monkeypatch.setenv("MAIL_FROM", "team@example.com")
    assert MailSettings().enabled is True


def test_a_workspace_name_cannot_add_headers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAIL_SMTP_URL", "smtp://mail.example.com")
    monkeypatch.setenv("MAIL_FROM", "a@example.com")
    settings = MailSettings()
    mail = Mail(to="b@example.com", subject="Join Evil\r\nBcc: all@example.com", text="hi")

    message = build_message(settings, mail)

    assert message["Subject"] == "Join Evil Bcc: all@example.com"
    assert message["Bcc"] is None


# --- the job ----------------------------------------------------------------------------


async def test_the_job_mails_the_link_to_the_invitee(
    client: httpx.AsyncClient, session: AsyncSession, plain_smtp: SmtpStub
) -> None:
    owner = await create_account(client, "Acme Support")
    created = await invite(client, owner.headers, role="viewer")
    assert created["email_sent"] is True

    assert await run_job(created) == "sent"

    (mail,) = plain_smtp.mails
    assert mail.recipients == [created["email"]] and mail.sender == "no-reply@parley.test"
    assert mail.message["To"] == created["email"]
    assert mail.message["Subject"] == "Join Acme Support on Parley"
    body = mail.message.get_content()
    assert created["invite_url"] in body
    assert f"{owner.email} has invited you" in body and "a viewer (read-only)" in body
    assert plain_smtp.logins == [("mailer", "s@cret")]
    # The mailed link works.
    assert (await accept(client, token_of(created["invite_url"]))).status_code == 200


async def test_no_mail_for_a_revoked_replaced_or_accepted_invitation(
    client: httpx.AsyncClient, plain_smtp: SmtpStub
) -> None:
    owner = await create_account(client)
    revoked = await invite(client, owner.headers)
    await client.delete(f"{INVITATIONS}/{revoked['id']}", headers=owner.headers)
    replaced = await invite(client, owner.headers)
    await invite(client, owner.headers, replaced["email"])
    accepted = await invite(client, owner.headers)
    await accept(client, token_of(accepted["invite_url"]))

    for invitation in (revoked, replaced, accepted):
        assert await run_job(invitation) == "skipped"
    assert plain_smtp.mails == []


async def test_no_mail_for_a_token_that_is_not_the_invitations(
    client: httpx.AsyncClient, plain_smtp: SmtpStub
) -> None:
    owner = await create_account(client)
    created = await invite(client, owner.headers)

    outcome = await tasks.send_invitation_email({"job_try": 1}, created["id"], "forged-token")
    unknown = await tasks.send_invitation_email({"job_try": 1}, str(uuid.uuid4()), "x")

    assert outcome == unknown == "skipped"
    assert plain_smtp.mails == []


async def test_starttls_is_required_never_skipped(
    client: httpx.AsyncClient, starttls_smtp: SmtpStub, caplog: pytest.LogCaptureFixture
) -> None:
    owner = await create_account(client)
    created = await invite(client, owner.headers)

    with caplog.at_level(logging.DEBUG), pytest.raises(Retry):
        await run_job(created)

    assert starttls_smtp.mails == [] and starttls_smtp.logins == []  # no password in clear
    assert "STARTTLS" in caplog.text
    assert token_of(created["invite_url"]) not in caplog.text


async def test_a_refusing_server_is_retried_then_given_up_without_logging_the_link(
    client: httpx.AsyncClient, plain_smtp: SmtpStub, caplog: pytest.LogCaptureFixture
) -> None:
    plain_smtp.reject_data = True
    owner = await create_account(client)
    created = await invite(client, owner.headers)

    with caplog.at_level(logging.DEBUG):
        with pytest.raises(Retry):
            await run_job(created, job_try=1)
        assert await run_job(created, job_try=tasks.INVITATION_EMAIL_TRIES) == "failed"

    assert plain_smtp.mails == []
    assert "554" in caplog.text
    assert token_of(created["invite_url"]) not in caplog.text
    assert "s@cret" not in caplog.text and "s%40cret" not in caplog.text


async def test_without_smtp_the_job_sends_nothing(client: httpx.AsyncClient) -> None:
    owner = await create_account(client)
    created = await invite(client, owner.headers)
    assert created["email_sent"] is False
    assert await run_job(created) == "skipped"
