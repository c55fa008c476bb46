"""``python -m metasim``: drive a running simulator over HTTP from the shell."""

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

import httpx

DEFAULT_SIM_URL = "http://127.0.0.1:8010"
# Above the simulator's own 10 s webhook timeout, so a slow target is reported, not lost.
CLIENT_TIMEOUT_SECONDS = 30.0

EXIT_OK, EXIT_NOT_DELIVERED, EXIT_SIM_ERROR = 0, 1, 2

Handler = Callable[[httpx.Client, argparse.Namespace], int]


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
    deliver_wa = commands.add_parser(
        "deliver-wa", help="deliver a WhatsApp user's message to the webhook"
    )
    deliver_wa.add_argument("--number", required=True, help="phone number id")
    deliver_wa.add_argument("--text", required=True)
    deliver_wa.add_argument("--wa-id", help="the user's WhatsApp id (random if omitted)")
    deliver_wa.add_argument("--name", help="the user's profile name")
    deliver_wa.add_argument("--url", help="override the webhook URL for this delivery")
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
    return parser


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
}
