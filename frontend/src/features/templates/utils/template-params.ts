/**
 * The picker's form for a template's parameters, checked here the way the server checks
 * them (api/templates/params.py) so an agent sees what is missing before anything is
 * queued: the number of variables, their kind (text, media link, place), the buttons that
 * need a value, and WhatsApp's limits. The server checks again and has the last word.
 */
import type { Template, TemplateChoice, TemplateParameters, TemplateParametersSpec } from "@/lib/api/types";

export interface FieldProblem {
  /** As the server names it: `header`, `body.1`, `body.first_name`, `buttons.0`. */
  field: string;
  message: string;
}

export interface TemplateFormValues {
  /** A TEXT header's variable. */
  headerText: string;
  /** An IMAGE / VIDEO / DOCUMENT header's https link. */
  headerLink: string;
  /** A DOCUMENT header's file name (optional). */
  headerFilename: string;
  latitude: string;
  longitude: string;
  placeName: string;
  placeAddress: string;
  /** Body values by variable name ("1", "2"... or "first_name"). */
  body: Record<string, string>;
  /** Button values by the button's index. */
  buttons: Record<number, string>;
}

const MEDIA_FORMATS = new Set(["IMAGE", "VIDEO", "DOCUMENT"]);
/** Meta refuses text parameters with new lines, tabs or more than 4 spaces in a row. */
const BAD_TEXT = /[\n\t]| {5,}/;
const MAX_HEADER = 60;
const MAX_BODY = 1024;
const MAX_BUTTON_VALUE = 2000;
const VARIABLE = /\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g;

export type HeaderKind = "none" | "text" | "text_variable" | "media" | "location";

export function headerKind(spec: TemplateParametersSpec): HeaderKind {
  const header = spec.header;
  if (header === null || header === undefined) return "none";
  if (MEDIA_FORMATS.has(header.format)) return "media";
  if (header.format === "LOCATION") return "location";
  return header.variables.length > 0 ? "text_variable" : "text";
}

/** Buttons the agent fills in (a dynamic URL's suffix, a code, a quick reply's payload). */
export function buttonsWithValues(spec: TemplateParametersSpec) {
  return spec.buttons.filter((button) => button.accepts_value);
}

export function emptyValues(spec: TemplateParametersSpec): TemplateFormValues {
  return {
    headerText: "",
    headerLink: "",
    headerFilename: "",
    latitude: "",
    longitude: "",
    placeName: "",
    placeAddress: "",
    body: Object.fromEntries(spec.body.map((name) => [name, ""])),
    buttons: Object.fromEntries(buttonsWithValues(spec).map((button) => [button.index, ""])),
  };
}

interface Component {
  type?: unknown;
  text?: unknown;
  format?: unknown;
  buttons?: unknown;
}

function component(template: Pick<Template, "components">, type: string): Component | undefined {
  return (template.components as Component[]).find(
    (c) => c !== null && typeof c === "object" && String(c.type ?? "").toUpperCase() === type,
  );
}

/** The text of a template part (HEADER, BODY, FOOTER), or null. */
export function componentText(template: Pick<Template, "components">, type: "HEADER" | "BODY" | "FOOTER"): string | null {
  const text = component(template, type)?.text;
  return typeof text === "string" ? text : null;
}

function fill(text: string, values: Record<string, string>): string {
  return text.replace(VARIABLE, (whole, name: string) => {
    const value = values[name];
    return value === undefined || value === "" ? whole : value;
  });
}

function textProblem(value: string): string | null {
  if (value.trim() === "") return "Fill this in.";
  if (BAD_TEXT.test(value)) return "No new lines, tabs or more than 4 spaces in a row.";
  return null;
}

function https(value: string): boolean {
  try {
    return new URL(value).protocol === "https:";
  } catch {
    return false;
  }
}

function numberIn(value: string, min: number, max: number): boolean {
  if (value.trim() === "") return false;
  const n = Number(value);
  return Number.isFinite(n) && n >= min && n <= max;
}

function headerProblems(template: Template, values: TemplateFormValues): FieldProblem[] {
  const spec = template.parameters;
  const kind = headerKind(spec);
  const problem = (message: string): FieldProblem[] => [{ field: "header", message }];
  if (kind === "text_variable") {
    const why = textProblem(values.headerText);
    if (why !== null) return problem(why);
    const variable = spec.header?.variables[0] ?? "1";
    const rendered = fill(componentText(template, "HEADER") ?? "", { [variable]: values.headerText });
    if (rendered.length > MAX_HEADER) return problem(`The header would be ${rendered.length} characters; at most ${MAX_HEADER}.`);
  } else if (kind === "media") {
    const noun = (spec.header?.format ?? "media").toLowerCase();
    if (values.headerLink.trim() === "") return problem(`Give the ${noun}'s link.`);
    if (!https(values.headerLink.trim())) return problem(`The ${noun} link must be an https:// URL.`);
  } else if (kind === "location") {
    if (!numberIn(values.latitude, -90, 90) || !numberIn(values.longitude, -180, 180)) {
      return problem("Give a latitude (−90 to 90) and a longitude (−180 to 180).");
    }
  }
  return [];
}

/** What is wrong with the values, per field; empty when they can be sent. */
export function validateTemplateValues(template: Template, values: TemplateFormValues): FieldProblem[] {
  const spec = template.parameters;
  const problems = headerProblems(template, values);
  for (const name of spec.body) {
    const why = textProblem(values.body[name] ?? "");
    if (why !== null) problems.push({ field: `body.${name}`, message: why });
  }
  const body = fill(componentText(template, "BODY") ?? "", values.body);
  if (body.length > MAX_BODY) problems.push({ field: "body", message: `The message would be ${body.length} characters; at most ${MAX_BODY}.` });
  for (const button of buttonsWithValues(spec)) {
    const value = values.buttons[button.index] ?? "";
    if (value.trim() === "") {
      if (button.needs_value) {
        const what = button.type === "URL" ? "the end of its link" : "its code";
        problems.push({ field: `buttons.${button.index}`, message: `The “${button.text ?? button.type}” button needs ${what}.` });
      }
    } else if (value.length > MAX_BUTTON_VALUE) {
      problems.push({ field: `buttons.${button.index}`, message: `At most ${MAX_BUTTON_VALUE} characters.` });
    }
  }
  return problems;
}

function headerValue(template: Template, values: TemplateFormValues): TemplateParameters["header"] {
  const spec = template.parameters;
  switch (headerKind(spec)) {
    case "text_variable":
      return values.headerText === "" ? null : { type: "text", text: values.headerText };
    case "media": {
      if (values.headerLink.trim() === "") return null;
      const type = (spec.header?.format ?? "IMAGE").toLowerCase() as "image" | "video" | "document";
      const filename = type === "document" && values.headerFilename.trim() !== "" ? { filename: values.headerFilename.trim() } : {};
      return { type, link: values.headerLink.trim(), ...filename };
    }
    case "location":
      if (values.latitude.trim() === "" || values.longitude.trim() === "") return null;
      return {
        type: "location",
        latitude: Number(values.latitude),
        longitude: Number(values.longitude),
        ...(values.placeName.trim() !== "" ? { name: values.placeName.trim() } : {}),
        ...(values.placeAddress.trim() !== "" ? { address: values.placeAddress.trim() } : {}),
      };
    default:
      return null;
  }
}

/**
 * The parameters as the API takes them. With `forPreview`, a variable not filled in yet is
 * sent as its own `{{n}}` so the preview keeps showing where it goes (the server leaves a
 * missing named variable the same way).
 */
export function toTemplateParameters(template: Template, values: TemplateFormValues, { forPreview = false } = {}): TemplateParameters {
  const spec = template.parameters;
  const header = headerValue(template, values);
  let body: TemplateParameters["body"];
  if (spec.format === "NAMED") {
    body = Object.fromEntries(spec.body.flatMap((name) => {
      const value = values.body[name] ?? "";
      return value === "" && forPreview ? [] : [[name, value]];
    }));
  } else {
    body = spec.body.map((name) => {
      const value = values.body[name] ?? "";
      return value === "" && forPreview ? `{{${name}}}` : value;
    });
  }
  const buttons = buttonsWithValues(spec).flatMap((button) => {
    const value = (values.buttons[button.index] ?? "").trim();
    return value === "" ? [] : [{ index: button.index, value }];
  });
  return { ...(header !== null ? { header } : {}), body, buttons };
}

/** The template to send, by id, with its parameters. */
export function toTemplateChoice(template: Template, values: TemplateFormValues): TemplateChoice {
  return { template_id: template.id, ...toTemplateParameters(template, values) };
}

/** "{{1}}" and "{{first_name}}" as the form labels them. */
export function variableLabel(name: string): string {
  return `{{${name}}}`;
}
