"""WhatsApp message templates: the sample set every WABA starts with, the Graph listing
``GET /{waba-id}/message_templates`` and the checks a ``type: template`` send passes.

A template send must name an APPROVED template of the number's WABA by ``name`` and
``language.code`` (else 132001; paused 132015, disabled 132016), with as many body and
header parameters as the template has variables (else 132000), and a header parameter
of the header's media type with an ``id`` or ``link`` (else 132012).
"""

import re
from typing import Any

from metasim.errors import GraphFailure, JSONDict, wa_error
from metasim.graph_common import CallNotes, GraphRequest, apply_fault, unknown_object
from metasim.paging import PageLink, listing, paginate, requested_fields, select
from metasim.state import SimState, stable_digits
from metasim.tokens import Principal, reachable_waba_ids, require_scope
from metasim.world import MessageTemplate, PhoneNumber

TEMPLATE_FIELDS = (
    "id",
    "name",
    "language",
    "category",
    "status",
    "components",
    "parameter_format",
    "quality_score",
    "rejected_reason",
)
TEMPLATE_DEFAULT = ("id", "name", "language", "category", "status", "components")
FILTERS = ("name", "status", "language", "category")
VARIABLE = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")
MEDIA_FORMATS = ("IMAGE", "VIDEO", "DOCUMENT")

Sample = tuple[str, str, str, str, list[dict[str, Any]], str, str]

ORDER_BUTTONS = {
    "type": "BUTTONS",
    "buttons": [
        {"type": "URL", "text": "Track order", "url": "https://example.com/track/{{1}}"},
        {"type": "QUICK_REPLY", "text": "Talk to us"},
    ],
}
# (name, language, category, status, components, parameter_format, rejected_reason)
SAMPLES: tuple[Sample, ...] = (
    (
        "hello_world",
        "en_US",
        "UTILITY",
        "APPROVED",
        [
            {"type": "HEADER", "format": "TEXT", "text": "Hello World"},
            {
                "type": "BODY",
                "text": "Welcome and congratulations!! This message demonstrates your ability "
                "to send a WhatsApp message notification from the Cloud API, hosted by Meta.",
            },
            {"type": "FOOTER", "text": "WhatsApp Business Platform sample message"},
        ],
        "POSITIONAL",
        "NONE",
    ),
    (
        "order_update",
        "en_US",
        "UTILITY",
        "APPROVED",
        [
            {"type": "HEADER", "format": "TEXT", "text": "Order {{1}}"},
            {
                "type": "BODY",
                "text": "Hi {{1}}, your order {{2}} is on its way and should arrive {{3}}.",
            },
            {"type": "FOOTER", "text": "Reply STOP to stop updates"},
            ORDER_BUTTONS,
        ],
        "POSITIONAL",
        "NONE",
    ),
    (
        "order_update",
        "pt_BR",
        "UTILITY",
        "APPROVED",
        [
            {"type": "HEADER", "format": "TEXT", "text": "Pedido {{1}}"},
            {"type": "BODY", "text": "Olá {{1}}, seu pedido {{2}} chega {{3}}."},
            ORDER_BUTTONS,
        ],
        "POSITIONAL",
        "NONE",
    ),
    (
        "appointment_reminder",
        "en_US",
        "UTILITY",
        "APPROVED",
        [
            {"type": "HEADER", "format": "IMAGE"},
            {"type": "BODY", "text": "Hi {{first_name}}, see you on {{date}} at {{place}}."},
            {
                "type": "BUTTONS",
                "buttons": [
                    {"type": "QUICK_REPLY", "text": "Confirm"},
                    {"type": "QUICK_REPLY", "text": "Reschedule"},
                ],
            },
        ],
        "NAMED",
        "NONE",
    ),
    (
        "invoice_ready",
        "en_US",
        "UTILITY",
        "APPROVED",
        [
            {"type": "HEADER", "format": "DOCUMENT"},
            {"type": "BODY", "text": "Your invoice {{1}} for {{2}} is attached."},
        ],
        "POSITIONAL",
        "NONE",
    ),
    (
        "verification_code",
        "en_US",
        "AUTHENTICATION",
        "APPROVED",
        [
            {
                "type": "BODY",
                "text": "*{{1}}* is your verification code. For your security, do not share "
                "this code.",
            },
            {"type": "BUTTONS", "buttons": [{"type": "OTP", "otp_type": "COPY_CODE"}]},
        ],
        "POSITIONAL",
        "NONE",
    ),
    (
        "spring_sale",
        "en_US",
        "MARKETING",
        "PENDING",
        [{"type": "BODY", "text": "Spring sale: {{1}} off everything this week!"}],
        "POSITIONAL",
        "NONE",
    ),
    (
        "welcome_back",
        "en_US",
        "MARKETING",
        "REJECTED",
        [{"type": "BODY", "text": "We miss you! Come back for a surprise."}],
        "POSITIONAL",
        "INVALID_FORMAT",
    ),
)


def template_id(waba_id: str, name: str, language: str) -> str:
    """A stable template id (Meta's are 15 or 16 digits)."""
    return stable_digits("template", waba_id, name, language, length=16)


def add_samples(state: SimState, waba_id: str) -> None:
    """Give a WABA the sample templates (fixtures, and every WABA registered later)."""
    for name, language, category, status, components, parameter_format, reason in SAMPLES:
        upsert_template(
            state,
            MessageTemplate(
                id=template_id(waba_id, name, language),
                waba_id=waba_id,
                name=name,
                language=language,
                category=category,
                status=status,
                components=[dict(c) for c in components],
                parameter_format=parameter_format,
                rejected_reason=reason,
            ),
        )


def upsert_template(state: SimState, template: MessageTemplate) -> MessageTemplate:
    """Add a template, replacing the WABA's one with the same name and language."""
    existing = find_template(state, template.waba_id, template.name, template.language)
    if existing is not None:
        del state.templates[existing.id]
    state.templates[template.id] = template
    return template


def find_template(
    state: SimState, waba_id: str, name: str, language: str
) -> MessageTemplate | None:
    return next(
        (
            t
            for t in state.templates.values()
            if (t.waba_id, t.name, t.language) == (waba_id, name, language)
        ),
        None,
    )


# Graph listing -----------------------------------------------------------------------


def list_templates(
    state: SimState, request: GraphRequest, principal: Principal, notes: CallNotes
) -> JSONDict:
    """``GET /{waba-id}/message_templates?fields=&limit=&after=&name=&status=...``."""
    waba_id = request.node
    if waba_id not in state.wabas or waba_id not in reachable_waba_ids(state, principal):
        raise GraphFailure(unknown_object(waba_id))
    apply_fault(state, "message_templates", waba_id)
    require_scope(principal, "whatsapp_business_management")
    specs = requested_fields(
        request.param("fields"), TEMPLATE_FIELDS, TEMPLATE_DEFAULT, "WhatsAppBusinessHSM"
    )
    wanted = {f: request.query[f] for f in FILTERS if request.query.get(f)}
    templates = [
        t
        for t in sorted(state.templates.values(), key=lambda t: (t.name, t.language))
        if t.waba_id == waba_id
        and all(str(t.fields()[f]).upper() == v.upper() for f, v in wanted.items())
    ]
    link = PageLink(request.base_url, request.path, request.query)
    chunk, paging = paginate(templates, lambda t: t.id, request.query, link)
    return listing([select(t.fields(), specs) for t in chunk], paging)


# Template sends ----------------------------------------------------------------------


def check_send(state: SimState, number: PhoneNumber, content: dict[str, Any]) -> str:
    """Check a ``template`` send against the WABA's template; its category, lowercase."""
    name = content.get("name")
    language = content.get("language")
    code = language.get("code") if isinstance(language, dict) else language
    template = find_template(state, number.waba_id, str(name), str(code))
    if template is None or template.status not in ("APPROVED", "PAUSED", "DISABLED"):
        details = f"template name ({name}) does not exist in {code}"
        raise GraphFailure(
            wa_error(132001, "Template name does not exist in the translation", details)
        )
    if template.status == "PAUSED":
        raise GraphFailure(wa_error(132015, "Template is paused", "Template is paused"))
    if template.status == "DISABLED":
        raise GraphFailure(wa_error(132016, "Template is disabled", "Template is disabled"))
    given = _given(content.get("components"))
    for part in ("header", "body"):
        _check_part(template, part, given.get(part, []))
    return template.category.lower()


def _given(components: Any) -> dict[str, list[Any]]:
    parts: dict[str, list[Any]] = {}
    for component in components if isinstance(components, list) else []:
        if isinstance(component, dict) and component.get("type") in ("header", "body"):
            parameters = component.get("parameters")
            parts[str(component["type"])] = parameters if isinstance(parameters, list) else []
    return parts


def _check_part(template: MessageTemplate, part: str, parameters: list[Any]) -> None:
    component = next(
        (c for c in template.components if str(c.get("type", "")).upper() == part.upper()), None
    )
    media = component is not None and str(component.get("format", "")).upper() in MEDIA_FORMATS
    if media:
        assert component is not None
        kind = str(component["format"]).lower()
        first = parameters[0] if parameters and isinstance(parameters[0], dict) else {}
        content = first.get(kind) if first.get("type") == kind else None
        if not isinstance(content, dict) or not (content.get("id") or content.get("link")):
            received = str(first.get("type") or "unknown").upper()
            details = f"header: Format mismatch, expected {kind.upper()}, received {received}"
            raise GraphFailure(
                wa_error(
                    132012,
                    "Parameter format does not match format in the created template",
                    details,
                )
            )
        return
    expected = len(set(VARIABLE.findall(str((component or {}).get("text") or ""))))
    if len(parameters) != expected:
        details = (
            f"{part}: number of localizable_params ({len(parameters)}) does not match the "
            f"expected number of params ({expected})"
        )
        raise GraphFailure(
            wa_error(
                132000, "Number of parameters does not match the expected number of params", details
            )
        )
