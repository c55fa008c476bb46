import { describe, expect, it } from "vitest";

import type { Template } from "@/lib/api/types";

import { emptyValues, toTemplateChoice, toTemplateParameters, validateTemplateValues, type TemplateFormValues } from "./template-params";

function template(components: unknown[], parameters: Template["parameters"]): Template {
  return {
    id: "t1",
    waba_id: "w",
    external_id: null,
    name: "t",
    language: "en",
    category: "UTILITY",
    status: "APPROVED",
    reason: null,
    quality_score: null,
    components,
    parameters,
    synced_at: null,
    updated_at: "2026-11-20T10:00:00Z",
  };
}

const textHeader = template(
  [
    { type: "HEADER", format: "TEXT", text: "Order {{1}}" },
    { type: "BODY", text: "Hi {{1}}, {{2}}" },
  ],
  { format: "POSITIONAL", header: { format: "TEXT", variables: ["1"] }, body: ["1", "2"], buttons: [] },
);

const located = template(
  [{ type: "HEADER", format: "LOCATION" }, { type: "BODY", text: "Pick up here" }],
  { format: "POSITIONAL", header: { format: "LOCATION", variables: [] }, body: [], buttons: [] },
);

const named = template([{ type: "BODY", text: "Hi {{name}}, code {{code}}" }], {
  format: "NAMED",
  header: null,
  body: ["name", "code"],
  buttons: [{ index: 0, type: "COPY_CODE", text: "Copy", needs_value: true, accepts_value: true }],
});

const filled = (base: TemplateFormValues, change: Partial<TemplateFormValues>) => ({ ...base, ...change });

describe("validateTemplateValues", () => {
  it("wants every variable, in its kind, within Meta's limits", () => {
    const values = emptyValues(textHeader.parameters);
    expect(validateTemplateValues(textHeader, values).map((p) => p.field)).toEqual(["header", "body.1", "body.2"]);

    const long = filled(values, { headerText: "x".repeat(60), body: { "1": "Ada", "2": "ok" } });
    expect(validateTemplateValues(textHeader, long)).toEqual([{ field: "header", message: "The header would be 66 characters; at most 60." }]);
    expect(validateTemplateValues(textHeader, filled(long, { headerText: "A-1" }))).toEqual([]);
  });

  it("checks a location's coordinates", () => {
    const values = emptyValues(located.parameters);
    expect(validateTemplateValues(located, filled(values, { latitude: "91", longitude: "0" }))[0]?.field).toBe("header");
    expect(validateTemplateValues(located, filled(values, { latitude: "51.5", longitude: "abc" }))[0]?.field).toBe("header");
    expect(validateTemplateValues(located, filled(values, { latitude: "51.5", longitude: "-0.12" }))).toEqual([]);
  });

  it("wants the code of a copy-code button", () => {
    const values = filled(emptyValues(named.parameters), { body: { name: "Ada", code: "X1" } });
    expect(validateTemplateValues(named, values)).toEqual([{ field: "buttons.0", message: "The “Copy” button needs its code." }]);
  });
});

describe("toTemplateParameters", () => {
  it("a list for numbered variables, an object for named ones", () => {
    const values = filled(emptyValues(textHeader.parameters), { headerText: "A-1", body: { "1": "Ada", "2": "hi" } });
    expect(toTemplateChoice(textHeader, values)).toEqual({
      template_id: "t1",
      header: { type: "text", text: "A-1" },
      body: ["Ada", "hi"],
      buttons: [],
    });
    const namedValues = filled(emptyValues(named.parameters), { body: { name: "Ada", code: "X1" }, buttons: { 0: " X1 " } });
    expect(toTemplateParameters(named, namedValues)).toEqual({ body: { name: "Ada", code: "X1" }, buttons: [{ index: 0, value: "X1" }] });
  });

  it("for a preview, keeps unfilled variables visible", () => {
    const values = filled(emptyValues(textHeader.parameters), { body: { "1": "", "2": "hi" } });
    expect(toTemplateParameters(textHeader, values, { forPreview: true }).body).toEqual(["{{1}}", "hi"]);
    const namedValues = filled(emptyValues(named.parameters), { body: { name: "Ada", code: "" } });
    expect(toTemplateParameters(named, namedValues, { forPreview: true }).body).toEqual({ name: "Ada" });
  });

  it("sends a location header with numbers", () => {
    const values = filled(emptyValues(located.parameters), { latitude: "51.5", longitude: "-0.12", placeName: "Shop" });
    expect(toTemplateParameters(located, values).header).toEqual({ type: "location", latitude: 51.5, longitude: -0.12, name: "Shop" });
  });
});
