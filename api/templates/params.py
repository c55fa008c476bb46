"""Checking an agent's parameters against a template, before anything is queued, and
rendering both the preview and the Graph `components` of the send (meta-platform.md §5.2).

Checked: the number (numbered templates) or names (named ones) of body variables, that
each value is a usable text / currency / date_time, the header's format (a TEXT header
with its variable, a media link or id for IMAGE / VIDEO / DOCUMENT, a place for
LOCATION), the buttons that need a value (dynamic URL suffix, copy code, one-time
password), and WhatsApp's length limits on the result.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from api.templates.schemas import (
    BodyValue,
    ButtonSpec,
    ButtonValue,
    CurrencyValue,
    DateTimeValue,
    HeaderSpec,
    HeaderValue,
    ParametersSpec,
    Preview,
    Problem,
    TemplateParameters,
)

VARIABLE = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")
MEDIA_FORMATS = ("IMAGE", "VIDEO", "DOCUMENT")
MAX_BODY = 1024  # hydrated body text (132005 beyond)
MAX_HEADER = 60
# Meta refuses text parameters with new lines, tabs or more than 4 spaces in a row.
BAD_TEXT = re.compile(r"[\n\t]| {5,}")
# Buttons whose parameter is required / allowed when sending.
VALUE_REQUIRED = ("COPY_CODE", "OTP")


@dataclass(frozen=True, slots=True)
class Rendered:
    preview: Preview
    components: list[dict[str, Any]]  # Graph's `template.components`
    problems: list[Problem] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.problems


def variables(text: str | None) -> list[str]:
    """The variables of a text, in order of first appearance."""
    seen: list[str] = []
    for name in VARIABLE.findall(text or ""):
        if name not in seen:
            seen.append(name)
    return seen


def _component(components: list[Any], kind: str) -> dict[str, Any] | None:
    return next(
        (c for c in components if isinstance(c, dict) and str(c.get("type", "")).upper() == kind),
        None,
    )


def _buttons(components: list[Any]) -> list[dict[str, Any]]:
    block = _component(components, "BUTTONS") or {}
    return [b for b in block.get("buttons") or [] if isinstance(b, dict)]


def _button_spec(index: int, button: dict[str, Any]) -> ButtonSpec:
    kind = str(button.get("type", "")).upper()
    dynamic_url = kind == "URL" and bool(variables(str(button.get("url") or "")))
    needs = dynamic_url or kind in VALUE_REQUIRED
    return ButtonSpec(
        index=index,
        type=kind,
        text=button.get("text"),
        needs_value=needs,
        accepts_value=needs or kind == "QUICK_REPLY",
    )


def parameters_spec(components: list[Any], parameter_format: str | None) -> ParametersSpec:
    """What a template asks for, for the picker's form."""
    header = _component(components, "HEADER")
    body = _component(components, "BODY") or {}
    named = (parameter_format or "").upper() == "NAMED"
    body_variables = variables(body.get("text"))
    if not named:  # {{1}}, {{2}}...: values go in number order, whatever the text's order
        body_variables.sort(key=lambda name: int(name) if name.isdigit() else 0)
    return ParametersSpec(
        format="NAMED" if named else "POSITIONAL",
        header=HeaderSpec(
            format=str(header.get("format") or "TEXT").upper(),
            variables=variables(header.get("text")),
        )
        if header
        else None,
        body=body_variables,
        buttons=[_button_spec(i, b) for i, b in enumerate(_buttons(components))],
    )


class _Renderer:
    """One rendering: collects problems as it goes, so all of them are reported at once."""

    def __init__(self, components: list[Any], parameter_format: str | None) -> None:
        self.components = components
        self.spec = parameters_spec(components, parameter_format)
        self.problems: list[Problem] = []
        self.graph: list[dict[str, Any]] = []

    def problem(self, where: str, message: str) -> None:
        self.problems.append(Problem(field=where, message=message))

    def run(self, params: TemplateParameters) -> Rendered:
        if _component(self.components, "BODY") is None:
            self.problem("template", "This template's content is not known yet: sync templates.")
        header = self._header(params.header)
        body = self._body(params.body)
        buttons = self._buttons(params.buttons)
        footer = (_component(self.components, "FOOTER") or {}).get("text")
        text = "\n\n".join(part for part in (header, body, footer) if part)
        preview = Preview(header=header, body=body, footer=footer, buttons=buttons, text=text)
        return Rendered(preview=preview, components=self.graph, problems=self.problems)

    # --- header ----------------------------------------------------------------

    def _header(self, value: HeaderValue | None) -> str | None:
        spec = self.spec.header
        if spec is None:
            if value is not None:
                self.problem("header", "This template has no header.")
            return None
        if spec.format in MEDIA_FORMATS:
            return self._media_header(spec.format, value)
        if spec.format == "LOCATION":
            return self._location_header(value)
        return self._text_header(spec, value)

    def _text_header(self, spec: HeaderSpec, value: HeaderValue | None) -> str | None:
        component = _component(self.components, "HEADER") or {}
        text = str(component.get("text") or "")
        if not spec.variables:
            if value is not None:
                self.problem("header", "This template's header has no variable to fill.")
            return text or None
        if value is None or value.type != "text" or not value.text:
            self.problem("header", f"The header needs a text for {{{{{spec.variables[0]}}}}}.")
            return text
        if self._text_ok("header", value.text):
            parameter: dict[str, Any] = {"type": "text", "text": value.text}
            if self.spec.format == "NAMED":
                parameter["parameter_name"] = spec.variables[0]
            self.graph.append({"type": "header", "parameters": [parameter]})
        rendered = VARIABLE.sub(value.text, text)
        if len(rendered) > MAX_HEADER:
            self.problem("header", f"The header is {len(rendered)} characters; at most 60.")
        return rendered

    def _media_header(self, format_: str, value: HeaderValue | None) -> str:
        kind = format_.lower()
        label = f"[{format_.capitalize()}]"
        if value is None:
            self.problem("header", f"The header is {_a(kind)}: give its link or media_id.")
            return label
        if value.type != kind:
            self.problem("header", f"The header is {_a(kind)}, not {_a(value.type)}.")
            return label
        if bool(value.link) == bool(value.media_id):
            self.problem("header", f"Give the {kind}'s link or its media_id (one of them).")
            return label
        if value.link and not value.link.startswith("https://"):
            self.problem("header", f"The {kind} link must be an https:// URL.")
            return label
        media: dict[str, Any] = {"link": value.link} if value.link else {"id": value.media_id}
        if kind == "document" and value.filename:
            media["filename"] = value.filename
        self.graph.append({"type": "header", "parameters": [{"type": kind, kind: media}]})
        return f"{label} {value.filename}" if value.filename else label

    def _location_header(self, value: HeaderValue | None) -> str:
        if value is None or value.type != "location" or None in (value.latitude, value.longitude):
            self.problem("header", "The header is a location: give latitude and longitude.")
            return "[Location]"
        location: dict[str, Any] = {"latitude": value.latitude, "longitude": value.longitude}
        location |= {k: v for k, v in (("name", value.name), ("address", value.address)) if v}
        self.graph.append(
            {"type": "header", "parameters": [{"type": "location", "location": location}]}
        )
        return f"[Location] {value.name or ''}".rstrip()

    # --- body ------------------------------------------------------------------

    def _body(self, given: list[BodyValue] | dict[str, BodyValue]) -> str:
        text = str((_component(self.components, "BODY") or {}).get("text") or "")
        names = self.spec.body
        values = self._body_values(names, given)
        parameters = []
        for name in names:
            value = values.get(name)
            if value is None:
                continue
            parameter = self._body_parameter(name, value)
            if parameter is not None:
                if self.spec.format == "NAMED":
                    parameter["parameter_name"] = name
                parameters.append(parameter)
        if names and len(parameters) == len(names):
            self.graph.append({"type": "body", "parameters": parameters})

        def fill(match: re.Match[str]) -> str:
            value = values.get(match.group(1))
            return match.group(0) if value is None else _shown(value)

        rendered = VARIABLE.sub(fill, text)
        if len(rendered) > MAX_BODY:
            self.problem("body", f"The body is {len(rendered)} characters; at most {MAX_BODY}.")
        return rendered

    def _body_values(
        self, names: list[str], given: list[BodyValue] | dict[str, BodyValue]
    ) -> dict[str, BodyValue]:
        if self.spec.format == "NAMED":
            if isinstance(given, list):
                if given or names:
                    self.problem("body", f"Give the body as an object keyed by {_names(names)}.")
                return {}
            for extra in sorted(set(given) - set(names)):
                self.problem(f"body.{extra}", f"The body has no variable {{{{{extra}}}}}.")
            for missing in (n for n in names if n not in given):
                self.problem(f"body.{missing}", f"Missing a value for {{{{{missing}}}}}.")
            return {n: v for n, v in given.items() if n in names}
        if isinstance(given, dict):
            if given or names:
                self.problem(
                    "body", "This template numbers its variables: give the body as a list."
                )
            return {}
        if len(given) != len(names):
            self.problem(
                "body",
                f"The body has {len(names)} variable{'s' * (len(names) != 1)}; "
                f"{len(given)} value{'s' * (len(given) != 1)} given.",
            )
        return dict(zip(names, given, strict=False))

    def _body_parameter(self, name: str, value: BodyValue) -> dict[str, Any] | None:
        if isinstance(value, CurrencyValue):
            return {"type": "currency", "currency": value.model_dump(exclude={"type"})}
        if isinstance(value, DateTimeValue):
            return {"type": "date_time", "date_time": {"fallback_value": value.fallback_value}}
        if not self._text_ok(f"body.{name}", value):
            return None
        return {"type": "text", "text": value}

    def _text_ok(self, where: str, value: str) -> bool:
        if not value.strip():
            self.problem(where, "A value must not be empty.")
            return False
        if BAD_TEXT.search(value):
            self.problem(
                where, "A value may not hold new lines, tabs or more than 4 spaces in a row."
            )
            return False
        return True

    # --- buttons ---------------------------------------------------------------

    def _buttons(self, given: list[ButtonValue]) -> list[str]:
        buttons = _buttons(self.components)
        by_index = {v.index: v for v in given}
        for index in sorted(set(by_index) - set(range(len(buttons)))):
            self.problem(f"buttons.{index}", f"This template has no button {index}.")
        labels = []
        for spec, button in zip(self.spec.buttons, buttons, strict=True):
            labels.append(str(button.get("text") or spec.type))
            value = by_index.get(spec.index)
            if value is None:
                if spec.needs_value:
                    what = "its URL suffix" if spec.type == "URL" else "its code"
                    self.problem(
                        f"buttons.{spec.index}", f"The {labels[-1]!r} button needs {what}."
                    )
                continue
            if not spec.accepts_value:
                self.problem(f"buttons.{spec.index}", f"The {labels[-1]!r} button takes no value.")
                continue
            self.graph.append(_button_component(spec, value.value))
        return labels


def _button_component(spec: ButtonSpec, value: str) -> dict[str, Any]:
    if spec.type == "QUICK_REPLY":
        sub_type, parameter = "quick_reply", {"type": "payload", "payload": value}
    elif spec.type == "COPY_CODE":
        sub_type, parameter = "copy_code", {"type": "coupon_code", "coupon_code": value}
    else:  # a dynamic URL, or a one-time password (sent as the URL button's text)
        sub_type, parameter = "url", {"type": "text", "text": value}
    return {
        "type": "button",
        "sub_type": sub_type,
        "index": str(spec.index),
        "parameters": [parameter],
    }


def _shown(value: BodyValue) -> str:
    return value if isinstance(value, str) else value.fallback_value


def _a(kind: str) -> str:
    return ("an " if kind[:1] in "aeiou" else "a ") + kind


def _names(names: list[str]) -> str:
    return ", ".join(names) if names else "variable name"


def render(
    components: list[Any], parameter_format: str | None, params: TemplateParameters
) -> Rendered:
    """Check `params` against the template; the preview and Graph components either way."""
    return _Renderer(components, parameter_format).run(params)
