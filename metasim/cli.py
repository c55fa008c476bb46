"""``python -m metasim``: drive a running simulator over HTTP from the shell."""

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx

DEFAULT_SIM_URL = "http://127.0.0.1:8010"
# Above the simulator's own 10 s webhook timeout, so a slow target is reported, not lost.
CLIENT_TIMEOUT_SECONDS = 30.0

EXIT_OK, EXIT_NOT_DELIVERED, EXIT_SIM_ERROR = 0, 1, 2

Handler = Callable[[httpx.Client, argparse.Namespace], int]


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _duration(value: str) -> int:
    """`90m`, `26h`, `3d` (or plain seconds) as seconds."""
    number, unit = (value[:-1], value[-1]) if value[-1:] in _UNITS else (value, "s")
    if not number.isdigit():
        raise argparse.ArgumentTypeError(f"{value!r} is not a duration like 90m, 26h or 3d")
    return int(number) * _UNITS[unit]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with its sub-commands."""
    parser = argparse.ArgumentParser(
        prog="python -m metasim", description="Drive a running metasim over HTTP."
    )
    parser.add_argument("--sim", default=DEFAULT_SIM_URL, help="metasim base URL")
    commands = parser.add_subparsers(dest="command", required=True)
    deliver = commands.add_parser("deliver", help="deliver a customer message to the webhook")
    deliver.add_argument("--page", required=True, help="page id (registered with `page`)")
    deliver.add_argument("--text", required=True)
    deliver.add_argument("--psid", help="customer PSID (random 16 digits if omitted)")
    deliver.add_argument("--first-name")
    deliver.add_argument("--last-name")
    deliver.add_argument("--url", help="override the webhook URL for this delivery")
    deliver.add_argument("--ago", type=_duration, help="written this long ago: 90m, 26h, 3d")
    deliver_wa = commands.add_parser(
        "deliver-wa", help="deliver a WhatsApp user's message to the webhook"
    )
    deliver_wa.add_argument("--number", required=True, help="phone number id")
    deliver_wa.add_argument("--text", required=True)
    deliver_wa.add_argument("--wa-id", help="the user's WhatsApp id (random if omitted)")
    deliver_wa.add_argument("--name", help="the user's profile name")
    deliver_wa.add_argument("--url", help="override the webhook URL for this delivery")
    deliver_wa.add_argument("--ago", type=_duration, help="written this long ago: 90m, 26h, 3d")
    sent = commands.add_parser("sent", help="print recorded Send API calls")
    sent.add_argument("--page", help="only calls for this page id")
    sent.add_argument("--number", help="only WhatsApp calls for this phone number id")
    page = commands.add_parser("page", help="register or update a page")
    page.add_argument("page_id")
    page.add_argument("--name", required=True)
    page.add_argument("--token", required=True, help="the page access token")
    number = commands.add_parser("number", help="register or update a WhatsApp number")
    number.add_argument("phone_number_id")
    number.add_argument("--waba", required=True, help="the WhatsApp Business Account id")
    number.add_argument("--display", required=True, help='display number, e.g. "+1 555-0100"')
    number.add_argument("--name", required=True, help="the verified business name")
    number.add_argument("--token", required=True, help="an access token for the WABA")
    commands.add_parser("reset", help="forget all simulator state (fixtures are reloaded)")
    _add_event_parsers(commands)
    _add_batch_parser(commands)
    _add_settings_parser(commands)
    return parser


def _add_event_parsers(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    event = commands.add_parser("event", help="deliver one webhook event of any kind")
    products = event.add_subparsers(dest="product", required=True)
    messenger = products.add_parser("messenger", help="POST /_sim/messenger/events")
    messenger.add_argument("--page", required=True, help="page id")
    messenger.add_argument("--kind", required=True, help="text, image, sticker, echo, read, ...")
    messenger.add_argument("--psid", help="customer PSID (random if omitted)")
    messenger.add_argument("--mid", help="the event's own message id")
    messenger.add_argument("--target-mid", help="reply / reaction / unreact target")
    messenger.add_argument("--text")
    messenger.add_argument("--first-name")
    messenger.add_argument("--last-name")
    whatsapp = products.add_parser("whatsapp", help="POST /_sim/whatsapp/events")
    whatsapp.add_argument("--number", required=True, help="phone number id")
    whatsapp.add_argument("--kind", required=True, help="text, image, location, status, ...")
    whatsapp.add_argument("--wa-id", help="the user's WhatsApp id (random if omitted)")
    whatsapp.add_argument("--name", help="the user's profile name")
    whatsapp.add_argument("--wamid", help="the message's own id (status: the sent message)")
    whatsapp.add_argument("--target-wamid", help="reply / reaction / button target")
    whatsapp.add_argument("--text")
    whatsapp.add_argument("--status", choices=("sent", "delivered", "read", "failed"))
    whatsapp.add_argument("--error-code", type=int)
    for product in (messenger, whatsapp):
        product.add_argument(
            "--param",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="any other parameter (VALUE parsed as JSON when it can be)",
        )
        product.add_argument("--url", help="override the webhook URL for this delivery")


def _add_batch_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    batch = commands.add_parser("batch", help="deliver several events in one signed body")
    batch.add_argument(
        "--file", help="JSON: a whole /_sim/batch body or a list of events (- = stdin)"
    )
    batch.add_argument("--product", choices=("messenger", "whatsapp"))
    batch.add_argument(
        "--event", action="append", default=[], metavar="JSON", help="one event body (repeatable)"
    )
    batch.add_argument("--duplicate", type=int, help="extra re-deliveries of the same bytes")
    batch.add_argument("--shuffle", action="store_true", help="randomise the order of events")
    batch.add_argument("--url", help="override the webhook URL for this delivery")


def _add_settings_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    settings = commands.add_parser(
        "settings", help="show or change automatic echoes, receipts and statuses"
    )
    for flag in ("--messenger-echoes", "--messenger-receipts", "--whatsapp-statuses"):
        settings.add_argument(flag, choices=("on", "off"))
    settings.add_argument("--status-delay-ms", type=int)


def main(argv: Sequence[str] | None = None, client: httpx.Client | None = None) -> int:
    """Run one command; 0 = ok, 1 = delivery not accepted by the target, 2 = sim error.

    ``client`` replaces the HTTP client built from ``--sim`` (tests pass an in-process one).
    """
    args = build_parser().parse_args(argv)
    handler = _COMMANDS[args.command]
    try:
        if client is not None:
            return handler(client, args)
        with httpx.Client(base_url=args.sim, timeout=CLIENT_TIMEOUT_SECONDS) as own_client:
            return handler(own_client, args)
    except httpx.HTTPError as exc:
        print(f"metasim: cannot talk to {args.sim}: {exc}", file=sys.stderr)
        return EXIT_SIM_ERROR


def _deliver(client: httpx.Client, args: argparse.Namespace) -> int:
    payload = {
        "page_id": args.page,
        "text": args.text,
        "psid": args.psid,
        "first_name": args.first_name,
        "last_name": args.last_name,
        "url": args.url,
        "ago_seconds": args.ago,
    }
    body = {key: value for key, value in payload.items() if value is not None}
    response = client.post("/_sim/messenger/deliver", json=body)
    if response.status_code != httpx.codes.OK:
        return _report_sim_error(response)
    result = response.json()
    _print_json(result)
    return EXIT_OK if result.get("delivered") else EXIT_NOT_DELIVERED


def _deliver_wa(client: httpx.Client, args: argparse.Namespace) -> int:
    payload = {
        "phone_number_id": args.number,
        "text": args.text,
        "wa_id": args.wa_id,
        "name": args.name,
        "url": args.url,
        "ago_seconds": args.ago,
    }
    body = {key: value for key, value in payload.items() if value is not None}
    response = client.post("/_sim/whatsapp/deliver", json=body)
    if response.status_code != httpx.codes.OK:
        return _report_sim_error(response)
    result = response.json()
    _print_json(result)
    return EXIT_OK if result.get("delivered") else EXIT_NOT_DELIVERED


def _sent(client: httpx.Client, args: argparse.Namespace) -> int:
    params = {"page_id": args.page} if args.page else {}
    if args.number:
        params["phone_number_id"] = args.number
    return _print_response(client.get("/_sim/sent", params=params))


def _page(client: httpx.Client, args: argparse.Namespace) -> int:
    body = {"name": args.name, "access_token": args.token}
    return _print_response(client.put(f"/_sim/pages/{args.page_id}", json=body))


def _number(client: httpx.Client, args: argparse.Namespace) -> int:
    body = {
        "waba_id": args.waba,
        "display_phone_number": args.display,
        "verified_name": args.name,
        "access_token": args.token,
    }
    return _print_response(client.put(f"/_sim/whatsapp/numbers/{args.phone_number_id}", json=body))


def _reset(client: httpx.Client, _: argparse.Namespace) -> int:
    return _print_response(client.delete("/_sim/state"))


def _event(client: httpx.Client, args: argparse.Namespace) -> int:
    if args.product == "messenger":
        payload = {
            "page_id": args.page,
            "psid": args.psid,
            "mid": args.mid,
            "target_mid": args.target_mid,
            "first_name": args.first_name,
            "last_name": args.last_name,
        }
    else:
        payload = {
            "phone_number_id": args.number,
            "wa_id": args.wa_id,
            "name": args.name,
            "wamid": args.wamid,
            "target_wamid": args.target_wamid,
            "status": args.status,
            "error_code": args.error_code,
        }
    payload.update(kind=args.kind, text=args.text, url=args.url)
    body = {key: value for key, value in payload.items() if value is not None}
    try:
        body.update(_params(args.param))
    except ValueError as exc:
        print(f"metasim: {exc}", file=sys.stderr)
        return EXIT_SIM_ERROR
    return _print_delivery(client.post(f"/_sim/{args.product}/events", json=body))


def _params(pairs: list[str]) -> dict[str, Any]:
    """``key=value`` pairs; values that parse as JSON (numbers, true, lists) are kept typed."""
    params: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"--param needs KEY=VALUE, got {pair!r}")
        try:
            params[key] = json.loads(raw)
        except ValueError:
            params[key] = raw
    return params


def _batch(client: httpx.Client, args: argparse.Namespace) -> int:
    try:
        body = _batch_body(args)
    except (OSError, ValueError) as exc:
        print(f"metasim: {exc}", file=sys.stderr)
        return EXIT_SIM_ERROR
    return _print_delivery(client.post("/_sim/batch", json=body))


def _batch_body(args: argparse.Namespace) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if args.file:
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text("utf-8")
        loaded = json.loads(text)
        body = {"events": loaded} if isinstance(loaded, list) else dict(loaded)
    events = [json.loads(event) for event in args.event]
    if events:
        body["events"] = [*body.get("events", []), *events]
    for key in ("product", "duplicate", "url"):
        if getattr(args, key) is not None:
            body[key] = getattr(args, key)
    if args.shuffle:
        body["shuffle"] = True
    if "product" not in body:
        raise ValueError("say which product: --product messenger|whatsapp (or in the file)")
    return body


def _settings(client: httpx.Client, args: argparse.Namespace) -> int:
    changes: dict[str, Any] = {}
    for name in ("messenger_echoes", "messenger_receipts", "whatsapp_statuses"):
        value = getattr(args, name)
        if value is not None:
            changes[name] = value == "on"
    if args.status_delay_ms is not None:
        changes["status_delay_ms"] = args.status_delay_ms
    if not changes:
        return _print_response(client.get("/_sim/settings"))
    return _print_response(client.post("/_sim/settings", json=changes))


def _print_delivery(response: httpx.Response) -> int:
    if response.status_code != httpx.codes.OK:
        return _report_sim_error(response)
    result = response.json()
    _print_json(result)
    return EXIT_OK if result.get("delivered") else EXIT_NOT_DELIVERED


def _print_response(response: httpx.Response) -> int:
    if not response.is_success:
        return _report_sim_error(response)
    _print_json(response.json())
    return EXIT_OK


def _report_sim_error(response: httpx.Response) -> int:
    print(f"metasim answered HTTP {response.status_code}: {response.text}", file=sys.stderr)
    return EXIT_SIM_ERROR


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False))


_COMMANDS: dict[str, Handler] = {
    "deliver": _deliver,
    "deliver-wa": _deliver_wa,
    "sent": _sent,
    "page": _page,
    "number": _number,
    "reset": _reset,
    "event": _event,
    "batch": _batch,
    "settings": _settings,
}
