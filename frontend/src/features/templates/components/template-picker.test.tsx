import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";

import { ApiError } from "@/lib/api/errors";
import type { Template, TemplateParameters } from "@/lib/api/types";
import { stubApi, type StubHandler } from "@/testing/api-stub";
import { stubLayoutApis } from "@/testing/dom-stubs";
import { buildMe, jsonResponse } from "@/testing/fixtures";
import { renderWithProviders } from "@/testing/render";

import { TemplatePicker } from "./template-picker";

function buildTemplate(overrides: Partial<Template> = {}): Template {
  return {
    id: "t-order",
    waba_id: "waba-1",
    external_id: "9001",
    name: "order_update",
    language: "en_US",
    category: "UTILITY",
    status: "APPROVED",
    reason: null,
    quality_score: null,
    components: [
      { type: "HEADER", format: "IMAGE" },
      { type: "BODY", text: "Hi {{1}}, your order {{2}} has shipped." },
      { type: "FOOTER", text: "Acme Shop" },
      { type: "BUTTONS", buttons: [{ type: "URL", text: "Track", url: "https://acme.test/t/{{1}}" }, { type: "QUICK_REPLY", text: "Thanks" }] },
    ],
    parameters: {
      format: "POSITIONAL",
      header: { format: "IMAGE", variables: [] },
      body: ["1", "2"],
      buttons: [
        { index: 0, type: "URL", text: "Track", needs_value: true, accepts_value: true },
        { index: 1, type: "QUICK_REPLY", text: "Thanks", needs_value: false, accepts_value: true },
      ],
    },
    synced_at: "2026-11-20T10:00:00Z",
    updated_at: "2026-11-20T10:00:00Z",
    ...overrides,
  };
}

const welcome = buildTemplate({
  id: "t-welcome",
  name: "welcome",
  language: "pt_BR",
  category: "MARKETING",
  components: [{ type: "BODY", text: "Olá {{first_name}}!" }],
  parameters: { format: "NAMED", header: null, body: ["first_name"], buttons: [] },
});

/** The preview endpoint: the body filled in from the parameters, and the server's problems. */
function previewHandler(problems: { field: string; message: string }[] = []): StubHandler {
  return ({ body }) => {
    const params = body as TemplateParameters;
    const values = Array.isArray(params.body) ? params.body : Object.values(params.body ?? {});
    return jsonResponse(200, {
      valid: problems.length === 0,
      problems,
      preview: { header: "[Image]", body: `Preview: ${values.join(" | ")}`, footer: "Acme Shop", buttons: ["Track", "Thanks"], text: "" },
    });
  };
}

function renderPicker(handlers: Record<string, StubHandler> = {}, role: "agent" | "admin" = "agent") {
  const onSubmit = vi.fn<(choice: unknown) => Promise<unknown>>(() => Promise.resolve());
  const api = stubApi({
    "GET /api/auth/me": () => jsonResponse(200, buildMe(role)),
    "GET /api/templates": ({ query }) => {
      const search = query.get("search") ?? "";
      return jsonResponse(200, { items: [buildTemplate(), welcome].filter((t) => t.name.includes(search)), next_cursor: null });
    },
    "POST /api/templates/t-order/preview": previewHandler(),
    "POST /api/templates/t-welcome/preview": previewHandler(),
    ...handlers,
  });
  renderWithProviders(<TemplatePicker channelId="chan-wa" onSubmit={onSubmit} />);
  return { api, onSubmit };
}

async function pick(name: string) {
  const option = (await screen.findAllByTestId("template-option")).find((o) => o.dataset.templateName === name);
  if (option === undefined) throw new Error(`no template ${name}`);
  await userEvent.click(option);
  return screen.findByTestId("template-form");
}

function problemOf(field: string): string | null {
  const problem = screen.queryAllByTestId("template-field-problem").find((p) => p.dataset.field?.endsWith(field));
  return problem?.textContent ?? null;
}

beforeEach(() => stubLayoutApis());

describe("TemplatePicker", () => {
  it("lists the channel's approved templates, searchable by name and filtered by language and category", async () => {
    const { api } = renderPicker();
    await waitFor(() => expect(screen.getAllByTestId("template-option")).toHaveLength(2));
    const [first] = api.find("GET", "/api/templates");
    expect(first?.query.get("channel_id")).toBe("chan-wa");
    expect(first?.query.get("status")).toBe("APPROVED");
    expect(screen.getAllByTestId("template-option")[0]).toHaveTextContent("Hi {{1}}, your order {{2}} has shipped.");

    await userEvent.selectOptions(screen.getByTestId("template-language"), "pt_BR");
    expect(screen.getAllByTestId("template-option").map((o) => o.dataset.templateName)).toEqual(["welcome"]);
    await userEvent.selectOptions(screen.getByTestId("template-language"), "");
    await userEvent.selectOptions(screen.getByTestId("template-category"), "UTILITY");
    expect(screen.getAllByTestId("template-option").map((o) => o.dataset.templateName)).toEqual(["order_update"]);

    await userEvent.type(screen.getByTestId("template-search"), "welc");
    await waitFor(() => expect(api.find("GET", "/api/templates").at(-1)?.query.get("search")).toBe("welc"));
  });

  it("checks the number and kind of parameters before sending anything", async () => {
    const { onSubmit } = renderPicker();
    await pick("order_update");
    expect(screen.getAllByTestId("template-body-input").map((i) => i.dataset.variable)).toEqual(["1", "2"]);

    await userEvent.click(screen.getByTestId("template-submit"));
    expect(problemOf("header")).toBe("Give the image's link.");
    expect(problemOf("body.1")).toBe("Fill this in.");
    expect(problemOf("body.2")).toBe("Fill this in.");
    expect(problemOf("buttons.0")).toBe("The “Track” button needs the end of its link.");
    expect(problemOf("buttons.1")).toBeNull(); // a quick reply's payload is optional

    await userEvent.type(screen.getByLabelText("Header image link"), "http://acme.test/box.jpg");
    await userEvent.type(screen.getAllByTestId("template-body-input")[0] as HTMLElement, "Ada   \t");
    expect(problemOf("header")).toBe("The image link must be an https:// URL.");
    expect(problemOf("body.1")).toBe("No new lines, tabs or more than 4 spaces in a row.");
    await userEvent.click(screen.getByTestId("template-submit"));
    expect(onSubmit).not.toHaveBeenCalled();
  });

  it("previews as the agent types (debounced) and sends the choice", async () => {
    const { api, onSubmit } = renderPicker();
    await pick("order_update");
    await userEvent.type(screen.getByLabelText("Header image link"), "https://acme.test/box.jpg");
    const [name, order] = screen.getAllByTestId("template-body-input") as HTMLElement[];
    await userEvent.type(name as HTMLElement, "Ada");
    await userEvent.type(order as HTMLElement, "A-1001");
    await userEvent.type(screen.getAllByTestId("template-button-input")[0] as HTMLElement, "A-1001");

    await waitFor(() => expect(screen.getByTestId("template-preview-body")).toHaveTextContent("Preview: Ada | A-1001"));
    const previews = api.find("POST", "/api/templates/t-order/preview");
    // Debounced: far fewer calls than keystrokes; the last one has every value.
    expect(previews.length).toBeLessThan(6);
    expect(previews.at(-1)?.body).toEqual({
      header: { type: "image", link: "https://acme.test/box.jpg" },
      body: ["Ada", "A-1001"],
      buttons: [{ index: 0, value: "A-1001" }],
    });

    await userEvent.click(screen.getByTestId("template-submit"));
    expect(onSubmit).toHaveBeenCalledWith(
      {
        template_id: "t-order",
        header: { type: "image", link: "https://acme.test/box.jpg" },
        body: ["Ada", "A-1001"],
        buttons: [{ index: 0, value: "A-1001" }],
      },
      expect.objectContaining({ template: expect.objectContaining({ id: "t-order" }) }),
    );
  });

  it("shows the server's template_parameters_invalid problems next to their fields", async () => {
    const { onSubmit } = renderPicker();
    onSubmit.mockRejectedValueOnce(
      new ApiError(422, "template_parameters_invalid", "body.2: too long", [{ field: "body.2", message: "The body is 1100 characters; at most 1024." }]),
    );
    await pick("welcome");
    await userEvent.type(screen.getByTestId("template-body-input"), "Ada");
    await userEvent.click(screen.getByTestId("template-submit"));
    expect(onSubmit).toHaveBeenCalledWith({ template_id: "t-welcome", body: { first_name: "Ada" }, buttons: [] }, expect.anything());
    // A field the form has no input for goes in the summary.
    expect(await screen.findByTestId("template-error")).toHaveTextContent("The body is 1100 characters; at most 1024.");
  });

  it("shows a refused send's field problem inline and a general refusal in the summary", async () => {
    const { onSubmit } = renderPicker();
    await pick("welcome");
    await userEvent.type(screen.getByTestId("template-body-input"), "Ada");
    onSubmit.mockRejectedValueOnce(
      new ApiError(422, "template_parameters_invalid", "x", [{ field: "body.first_name", message: "Meta refuses this value." }]),
    );
    await userEvent.click(screen.getByTestId("template-submit"));
    await waitFor(() => expect(problemOf("body.first_name")).toBe("Meta refuses this value."));

    onSubmit.mockRejectedValueOnce(new ApiError(409, "template_not_approved", "This template is paused; only approved templates can be sent."));
    await userEvent.type(screen.getByTestId("template-body-input"), "!");
    await userEvent.click(screen.getByTestId("template-submit"));
    expect(await screen.findByTestId("template-error")).toHaveTextContent("This template is paused");
  });

  it("shows problems the preview finds that the form cannot know (lengths)", async () => {
    renderPicker({
      "POST /api/templates/t-welcome/preview": previewHandler([{ field: "body", message: "The body is 2000 characters; at most 1024." }]),
    });
    await pick("welcome");
    await userEvent.type(screen.getByTestId("template-body-input"), "Ada");
    expect(await screen.findByTestId("template-error")).toHaveTextContent("The body is 2000 characters; at most 1024.");
  });

  it("offers admins to sync templates from Meta", async () => {
    const { api } = renderPicker({ "POST /api/channels/chan-wa/templates/sync": () => jsonResponse(200, { waba_id: "waba-1", synced: 7, deleted: 0 }) }, "admin");
    await userEvent.click(await screen.findByTestId("templates-sync"));
    expect(await screen.findByText("7 synced from Meta.")).toBeInTheDocument();
    expect(api.find("POST", "/api/channels/chan-wa/templates/sync")).toHaveLength(1);
    // The list is fetched again with what Meta has now.
    await waitFor(() => expect(api.find("GET", "/api/templates").length).toBeGreaterThanOrEqual(2));
  });

  it("does not offer agents to sync", async () => {
    renderPicker();
    await screen.findAllByTestId("template-option");
    expect(screen.queryByTestId("templates-sync")).toBeNull();
  });

  it("goes back to the list", async () => {
    renderPicker();
    const form = await pick("welcome");
    expect(within(form).getByTestId("template-body-source")).toHaveTextContent("Olá {{first_name}}!");
    await userEvent.click(screen.getByTestId("template-back"));
    expect(await screen.findByTestId("template-list")).toBeInTheDocument();
  });
});
