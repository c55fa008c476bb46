"""Operator commands: `python -m api.cli seed-demo | rotate-keys | storage-setup |
replay-webhooks | openapi`."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
import uuid
from datetime import UTC, datetime, timedelta

import httpx

from api.config import get_settings
from api.crypto import get_secret_box
from api.db import get_engine, unit_of_work
from api.jobs import send_job
from api.models import WebhookEventStatus
from api.outgoing.signing import reseal_secrets
from api.redis import get_redis
from api.seed import DemoSeed, seed_demo
from api.storage import get_storage
from api.templates.sync import SYNC_JOB, sync_job_id
from api.vault import rotate
from api.webhooks import replay as webhook_replay


def _demo_seed() -> DemoSeed:
    return DemoSeed(
        email=os.environ.get("DEMO_EMAIL", "demo@parley.dev"),
        password=os.environ.get("DEMO_PASSWORD", "parley-demo"),
        page_id=os.environ.get("DEMO_PAGE_ID", "104000000000001"),
        page_name=os.environ.get("DEMO_PAGE_NAME", "Demo Co Support"),
        page_token=os.environ.get("DEMO_PAGE_TOKEN", "dev-demo-page-token"),
        wa_number_id=os.environ.get("DEMO_WA_NUMBER_ID", "109000000000001"),
        wa_token=os.environ.get("DEMO_WA_TOKEN", "dev-demo-wa-token"),
    )


async def _seed(metasim_url: str | None) -> None:
    settings = get_settings()
    if not settings.is_development:
        sys.exit("seed-demo runs only with ENVIRONMENT=development")
    seed = _demo_seed()
    async with unit_of_work() as session:
        tenant_id = (await seed_demo(session, get_secret_box(), seed))[0].tenant_id
    await get_engine().dispose()
    if metasim_url:
        async with httpx.AsyncClient(timeout=5) as client:
            sim = metasim_url.rstrip("/")
            page = {"name": seed.page_name, "access_token": seed.page_token}
            number = {
                "waba_id": seed.wa_waba_id,
                "display_phone_number": seed.wa_display,
                "verified_name": seed.wa_name,
                "access_token": seed.wa_token,
            }
            (await client.put(f"{sim}/_sim/pages/{seed.page_id}", json=page)).raise_for_status()
            number_url = f"{sim}/_sim/whatsapp/numbers/{seed.wa_number_id}"
            (await client.put(number_url, json=number)).raise_for_status()
        # The number is known to metasim now: its templates can fill the picker.
        job_id = sync_job_id(tenant_id, seed.wa_waba_id)
        await send_job(SYNC_JOB, str(tenant_id), seed.wa_waba_id, job_id=job_id)
    print(
        f"demo tenant ready: {seed.email} / {seed.password}, "
        f"page {seed.page_id}, WhatsApp number {seed.wa_number_id}"
    )


def _openapi(output: str | None) -> None:
    from api.config import Environment, Settings
    from api.main import create_app

    # The schema does not depend on secrets; build it without requiring production ones.
    app = create_app(Settings(environment=Environment.DEVELOPMENT))
    schema = json.dumps(app.openapi(), indent=2, sort_keys=True) + "\n"
    if output:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(schema)
    else:
        sys.stdout.write(schema)


async def _rotate_keys() -> None:
    async with unit_of_work() as session:
        count = await rotate(session, get_secret_box())
        count += await reseal_secrets(session, get_secret_box())
    await get_engine().dispose()
    print(f"re-encrypted {count} token(s) with key {get_settings().encryption.active_key_id!r}")


async def _storage_setup() -> None:
    storage = get_storage()
    await storage.ensure_bucket()
    origins = ", ".join(storage.cors_origins) if storage.settings.manage_cors else "not managed"
    print(f"bucket {storage.bucket} ready; browser uploads allowed from: {origins or 'nowhere'}")


_DURATION = re.compile(r"(\d+)([smhdw])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_since(value: str) -> datetime:
    """`24h`, `30m`, `7d`... ago, or an ISO 8601 date/time (UTC unless it says otherwise)."""
    if match := _DURATION.fullmatch(value.strip()):
        seconds = int(match[1]) * _UNIT_SECONDS[match[2]]
        return datetime.now(UTC) - timedelta(seconds=seconds)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is neither a duration (24h, 30m, 7d) nor an ISO date/time"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def _replay_webhooks(selection: webhook_replay.ReplayFilter, dry_run: bool) -> None:
    async with unit_of_work() as session:
        groups = await webhook_replay.summarize(session, selection)
        replayed = [] if dry_run else await webhook_replay.replay(session, selection)
    await get_engine().dispose()
    await get_redis().aclose()
    for count, error in groups:
        print(f"{count:>8}  {error or '(no error recorded)'}")
    if dry_run:
        print(f"would replay {sum(count for count, _ in groups)} webhook event(s)")
    else:
        # Enqueued after the commit; one Redis could not take is re-driven by the webhook
        # worker's sweeper (every 30 s), since the event is `received` again.
        print(f"replayed {len(replayed)} webhook event(s): set to received and enqueued")


def _replay_filter(args: argparse.Namespace) -> webhook_replay.ReplayFilter:
    statuses = tuple(WebhookEventStatus(s) for s in args.status or ["dead"])
    return webhook_replay.ReplayFilter(
        statuses=tuple(dict.fromkeys(statuses)), since=args.since, ids=tuple(args.id or ())
    )


def _add_replay_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    replay = commands.add_parser(
        "replay-webhooks",
        help="set failed or dead webhook events (every tenant's) back to received and "
        "process them again",
    )
    replay.add_argument(
        "--status",
        action="append",
        choices=[s.value for s in webhook_replay.REPLAYABLE],
        help="events in this status (repeatable; default: dead)",
    )
    replay.add_argument(
        "--since", type=parse_since, help="received since: a duration ago (24h, 7d) or ISO time"
    )
    replay.add_argument(
        "--id", action="append", type=uuid.UUID, help="only this event (repeatable)"
    )
    replay.add_argument(
        "--dry-run", action="store_true", help="count the matching events, change nothing"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m api.cli")
    commands = parser.add_subparsers(dest="command", required=True)
    seed = commands.add_parser("seed-demo", help="create the demo tenant (development only)")
    seed.add_argument("--metasim", help="also register the demo page with this metasim URL")
    commands.add_parser(
        "rotate-keys", help="re-encrypt every stored token with ENCRYPTION_ACTIVE_KEY_ID"
    )
    commands.add_parser(
        "storage-setup",
        help="create the attachments bucket if missing and let the SPA's origins upload to it",
    )
    _add_replay_parser(commands)
    openapi = commands.add_parser("openapi", help="print or write the OpenAPI schema")
    openapi.add_argument("-o", "--output")
    args = parser.parse_args(argv)
    if args.command == "seed-demo":
        asyncio.run(_seed(args.metasim))
    elif args.command == "rotate-keys":
        asyncio.run(_rotate_keys())
    elif args.command == "storage-setup":
        asyncio.run(_storage_setup())
    elif args.command == "replay-webhooks":
        asyncio.run(_replay_webhooks(_replay_filter(args), args.dry_run))
    else:
        _openapi(args.output)


if __name__ == "__main__":
    main()
