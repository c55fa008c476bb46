"""Tenant scoping is structural: SQL lives in repositories, and only a few named places may
read across tenants (routing webhooks by page id, auth before a tenant is known, jobs that
carry a row id). A new `select(` anywhere else fails this test until it is reviewed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

API = Path(__file__).resolve().parents[2] / "api"

# Files allowed to build statements themselves, each for a stated reason.
ALLOWED = {
    "tenancy.py": "the scoped base statement",
    "auth/repository.py": "login and refresh happen before a tenant is known",
    "channels/repository.py": "webhook routing by page id / phone number id",
    "inbox/repository.py": "scoped repositories (+ one unscoped lookup for jobs)",
    "inbox/ingest.py": "writes for the tenant that owns the routed channel",
    "inbox/statuses.py": "statuses apply to the routed channel's own messages",
    "inbox/views.py": "loads attachments/quotes of messages already read in scope",
    "channels/updates.py": "Meta's account and template events name a WABA, not a tenant",
    "inbox/sending.py": "jobs load a message by id; the tenant comes from the row",
    "contacts/profiles.py": "jobs load a contact by id; the tenant comes from the row",
    "webhooks/service.py": "webhook_events are not tenant-owned",
    "webhooks/processing.py": "webhook_events are not tenant-owned",
    "webhooks/batching.py": "webhook_events are not tenant-owned",
    "webhooks/repository.py": "a tenant's events, scoped through webhook_event_routes",
    "seed.py": "development seed",
    "security/crosstenant.py": "SECURITY DEFINER checks (here/elsewhere, no rows) under RLS",
    "meta/repository.py": "scoped repositories (+ OAuth state lookup before a tenant is known)",
    "meta/callbacks.py": "Meta's callbacks name a Facebook user, who may span tenants",
    "vault.py": "key rotation re-seals every token",
    "channels/health.py": "the daily token check runs over every tenant's live channels",
    "inbox/redrive.py": "the outbound re-drive runs over every tenant's stranded replies",
    "inbox/outbox_repository.py": "scoped; inserts the contact/conversation a WhatsApp start needs",
    "templates/repository.py": "scoped reads; the sync job writes one (tenant, WABA) it names",
    "inbox/listing.py": "scoped repositories: conversation filters, message search, counts",
    "inbox/snooze.py": "the snooze wake-up runs over every tenant's due conversations",
    "inbox/reaction_sending.py": "jobs load a message by id (the tenant from the row); re-drive",
    "inbox/receipts.py": "jobs load a message by id; the tenant comes from the row",
    "uploads/repository.py": "scoped repository: the tenant's uploads",
    "uploads/cleanup.py": "the unused-upload clean-up runs over every tenant's old uploads",
    "outgoing/store.py": "webhook fan-out for the committing change's tenant; jobs by row id",
    "invitations/repository.py": "an invitation token names its tenant (read before one is known)",
    "data/export_reader.py": "the export job reads the one tenant its export row names",
    "data/erase.py": "the erasure job deletes the one tenant whose owner asked for it",
    "data/housekeeping.py": "trash purge, export pruning and job re-drive run over every tenant",
    "reports/repository.py": "a tenant's report aggregates, each filtered by its tenant_id",
    "webhooks/replay.py": "the operator's replay (api.cli) runs over every tenant's dead events",
    "inbox/media.py": "the media sweeper runs over every tenant's stranded downloads",
}

# Repositories whose every method must start from the tenant filter.
SCOPED_REPOSITORIES = [
    "inbox/repository.py",
    "inbox/listing.py",
    "uploads/repository.py",
    "team/repository.py",
    "outgoing/repository.py",
    "audit/repository.py",
    "data/repository.py",
]

STATEMENT = re.compile(r"(?<![.\w])(select|update|delete|insert)\(")


def test_sql_statements_only_in_reviewed_places() -> None:
    offenders = []
    for path in API.rglob("*.py"):
        relative = path.relative_to(API).as_posix()
        if relative in ALLOWED or relative.startswith("models/"):
            continue
        if STATEMENT.search(path.read_text()):
            offenders.append(relative)
    assert offenders == [], f"SQL outside repositories: {offenders}"


@pytest.mark.parametrize("relative", SCOPED_REPOSITORIES)
def test_scoped_repositories_start_from_the_tenant_filter(relative: str) -> None:
    source = (API / relative).read_text()
    for method in re.findall(r"async def (\w+)\(self", source):
        body = source.split(f"async def {method}(self", 1)[1].split("\n    async def", 1)[0]
        assert "self.scoped()" in body or "self._with_relations()" in body, method
