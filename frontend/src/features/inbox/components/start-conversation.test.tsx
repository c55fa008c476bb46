import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Route, Routes, useParams } from "react-router";
import { beforeEach, describe, expect, it } from "vitest";

import type { Template } from "@/lib/api/types";
import { conversationKeys } from "@/lib/query-keys";
import { stubApi, type StubHandler } from "@/testing/api-stub";
import { stubLayoutApis } from "@/testing/dom-stubs";
import { buildChannel, buildConversation, buildMe, buildMessage, jsonResponse } from "@/testing/fixtures";
import { renderWithProviders } from "@/testing/render";

import { StartConversationButton } from "./start-conversation";

const template: Template = {
  id: "t-hello",
  waba_id: "waba-1",
  external_id: "1",
  name: "hello_world",
  language: "en_US",
  category: "UTILITY",
  status: "APPROVED",
  reason: null,
  quality_score: null,
  components: [{ type: "BODY", text: "Hello {{1}}, thanks for contacting Acme." }],
  parameters: { format: "POSITIONAL", header: null, body: ["1"], buttons: [] },
  synced_at: null,
  updated_at: "2026-11-20T10:00:00Z",
};

function Opened() {
  const { conversationId } = useParams();
  return <p data-testid="opened">{conversationId}</p>;
}

function renderButton(handlers: Record<string, StubHandler> = {}, role: "agent" | "viewer" = "agent") {
  const api = stubApi({
    "GET /api/auth/me": () => jsonResponse(200, buildMe(role)),
    "GET /api/channels": () =>
      jsonResponse(200, {
        items: [
          buildChannel({ id: "page-1", kind: "messenger" }),
          buildChannel({ id: "wa-1", kind: "whatsapp", name: "Acme Sales" }),
          buildChannel({ id: "wa-2", kind: "whatsapp", name: "Old number", status: "disconnected" }),
        ],
        next_cursor: null,
      }),
    "GET /api/templates": () => jsonResponse(200, { items: [template], next_cursor: null }),
    "POST /api/templates/t-hello/preview": () =>
      jsonResponse(200, { valid: true, problems: [], preview: { header: null, body: "Hello Ada", footer: null, buttons: [], text: "Hello Ada" } }),
    ...handlers,
  });
  const view = renderWithProviders(
    <Routes>
      <Route path="/inbox" element={<StartConversationButton />} />
      <Route path="/inbox/:conversationId" element={<Opened />} />
    </Routes>,
    { route: "/inbox" },
  );
  return { ...view, api };
}

async function fillAndSend(phone: string, beforeSend: (dialog: HTMLElement) => void = () => {}) {
  await userEvent.click(await screen.findByTestId("start-conversation"));
  const dialog = await screen.findByTestId("start-conversation-dialog");
  beforeSend(dialog);
  await userEvent.type(within(dialog).getByTestId("start-phone"), phone);
  await userEvent.click(await within(dialog).findByTestId("template-option"));
  await userEvent.type(within(dialog).getByTestId("template-body-input"), "Ada");
  await userEvent.click(within(dialog).getByTestId("template-submit"));
  return dialog;
}

beforeEach(() => stubLayoutApis());

describe("StartConversationButton", () => {
  it("starts a WhatsApp conversation with a template and opens it", async () => {
    const conversation = buildConversation({ id: "new-conv", channel_id: "wa-1", channel: { id: "wa-1", kind: "whatsapp", name: "Acme Sales" } });
    const view = renderButton({
      "POST /api/inbox/conversations": () =>
        jsonResponse(202, { conversation, message: buildMessage({ id: "m1", conversation_id: "new-conv", direction: "outbound", type: "template", status: "queued" }) }),
    });
    await fillAndSend("+44 20 7946 0003", (dialog) => {
      // Only active WhatsApp numbers are offered.
      expect(within(within(dialog).getByTestId("start-channel")).getAllByRole("option").map((o) => o.textContent)).toEqual([
        "Acme Sales (+1 555 0100)",
      ]);
    });

    expect(await screen.findByTestId("opened")).toHaveTextContent("new-conv");
    const [sent] = view.api.find("POST", "/api/inbox/conversations");
    expect(sent?.body).toEqual({ channel_id: "wa-1", phone: "+44 20 7946 0003", template: { template_id: "t-hello", body: ["Ada"], buttons: [] } });
    expect(sent?.headers.get("Idempotency-Key")).toMatch(/^[0-9a-f-]{36}$/);
    expect(view.queryClient.getQueryData(conversationKeys.detail("new-conv"))).toMatchObject({ id: "new-conv" });
  });

  it("shows the server's E.164 error under the phone field", async () => {
    const view = renderButton({
      "POST /api/inbox/conversations": () =>
        jsonResponse(422, {
          error: "validation_error",
          detail: "phone: +999… is not a country calling code.",
          fields: [{ field: "phone", message: "phone: +999… is not a country calling code." }],
        }),
    });
    const dialog = await fillAndSend("+999 123 4567");
    expect(await within(dialog).findByTestId("start-phone-error")).toHaveTextContent("+999… is not a country calling code.");
    expect(within(dialog).getByTestId("start-phone")).toHaveAttribute("aria-invalid", "true");
    expect(within(dialog).getByTestId("template-error")).toHaveTextContent("Check the phone number above.");
    expect(screen.queryByTestId("opened")).toBeNull();
    expect(view.api.find("POST", "/api/inbox/conversations")).toHaveLength(1);
  });

  it("says what is wrong with a number before sending it", async () => {
    const view = renderButton();
    const dialog = await fillAndSend("020 7946 0003");
    expect(await within(dialog).findByTestId("start-phone-error")).toHaveTextContent("international format with its country code");
    expect(view.api.find("POST", "/api/inbox/conversations")).toHaveLength(0);
  });

  it("is not there for viewers", async () => {
    const view = renderButton({}, "viewer");
    await waitFor(() => expect(view.api.find("GET", "/api/channels")).toHaveLength(1));
    await waitFor(() => expect(view.api.find("GET", "/api/auth/me")).toHaveLength(1));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(screen.queryByTestId("start-conversation")).toBeNull();
  });

  it("is not there without an active WhatsApp number", async () => {
    const view = renderButton({
      "GET /api/channels": () => jsonResponse(200, { items: [buildChannel({ kind: "messenger" })], next_cursor: null }),
    });
    await waitFor(() => expect(view.api.find("GET", "/api/channels")).toHaveLength(1));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(screen.queryByTestId("start-conversation")).toBeNull();
  });
});
