import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";

import { stubApi, type StubHandler } from "@/testing/api-stub";
import { stubLayoutApis } from "@/testing/dom-stubs";
import { jsonResponse } from "@/testing/fixtures";
import { renderWithProviders } from "@/testing/render";

import type { WebhookDelivery, WebhookDeliveryDetail, WebhookEndpoint } from "../api/types";
import { WebhooksManager } from "./webhooks-manager";

const CRM = "https://crm.example.com/hooks/parley";
const SECRET = "whsec_firstSecretValue0123456789abcdefghijklmno";

function endpoint(overrides: Partial<WebhookEndpoint> = {}): WebhookEndpoint {
  return {
    id: "ep1",
    url: CRM,
    description: "CRM sync",
    events: ["message.created", "conversation.updated"],
    enabled: true,
    created_at: "2026-11-20T10:00:00Z",
    updated_at: "2026-11-20T10:00:00Z",
    created_by_user_id: "u1",
    last_delivery: {
      id: "d2",
      event_type: "message.created",
      status: "failed",
      response_status: 500,
      created_at: "2026-11-20T10:05:00Z",
      last_attempt_at: "2026-11-20T10:05:01Z",
    },
    ...overrides,
  };
}

function delivery(overrides: Partial<WebhookDelivery> = {}): WebhookDelivery {
  return {
    id: "d1",
    endpoint_id: "ep1",
    event_id: "ev1",
    event_type: "message.created",
    status: "succeeded",
    attempts: 1,
    response_status: 200,
    error: null,
    duration_ms: 42,
    created_at: "2026-11-20T10:04:00Z",
    last_attempt_at: "2026-11-20T10:04:01Z",
    next_attempt_at: null,
    ...overrides,
  };
}

const BODY = '{"id":"ev2","type":"message.created","created_at":"2026-11-20T10:05:00+00:00","tenant_id":"t1","data":{"message":{"text":"Hi"}}}';

function detail(overrides: Partial<WebhookDeliveryDetail> = {}): WebhookDeliveryDetail {
  return {
    ...delivery({ id: "d2", event_id: "ev2", status: "failed", attempts: 8, response_status: 500, error: "HTTP 500" }),
    request_body: BODY,
    response_body: "upstream exploded",
    ...overrides,
  };
}

function renderManager(handlers: Record<string, StubHandler> = {}, initial: WebhookEndpoint[] = [endpoint()]) {
  let endpoints = initial;
  const api = stubApi({
    "GET /api/webhook-endpoints": () => jsonResponse(200, { items: endpoints, next_cursor: null }),
    "POST /api/webhook-endpoints": ({ body }) => {
      const created = endpoint({ id: "ep2", last_delivery: null, description: null, ...(body as Partial<WebhookEndpoint>) });
      endpoints = [...endpoints, created];
      return jsonResponse(201, { ...created, secret: "whsec_newEndpointSecret" });
    },
    "PATCH /api/webhook-endpoints/ep1": ({ body }) => {
      endpoints = endpoints.map((e) => (e.id === "ep1" ? { ...e, ...(body as Partial<WebhookEndpoint>) } : e));
      return jsonResponse(200, endpoints[0]);
    },
    "DELETE /api/webhook-endpoints/ep1": () => {
      endpoints = endpoints.filter((e) => e.id !== "ep1");
      return new Response(null, { status: 204 });
    },
    "GET /api/webhook-endpoints/ep1/deliveries": ({ query }) => {
      const all = [delivery({ id: "d2", event_id: "ev2", status: "failed", attempts: 8, response_status: 500, error: "HTTP 500", created_at: "2026-11-20T10:05:00Z" }), delivery()];
      const status = query.get("status");
      return jsonResponse(200, { items: status === null ? all : all.filter((d) => d.status === status), next_cursor: null });
    },
    "GET /api/webhook-deliveries/d2": () => jsonResponse(200, detail()),
    "POST /api/webhook-deliveries/d2/resend": () => jsonResponse(202, detail({ id: "d3", status: "pending", attempts: 0, response_status: null, response_body: null, error: null })),
    "GET /api/webhook-deliveries/d3": () => jsonResponse(200, detail({ id: "d3", status: "succeeded", attempts: 1, response_status: 200, response_body: "ok", error: null })),
    "GET /api/webhook-endpoints/ep1/secret": () => jsonResponse(200, { secret: SECRET }),
    "POST /api/webhook-endpoints/ep1/rotate-secret": () => jsonResponse(200, { secret: "whsec_rotatedSecret" }),
    "POST /api/webhook-endpoints/ep1/test": () => jsonResponse(202, detail({ id: "d9", event_type: "ping", status: "pending" })),
    ...handlers,
  });
  renderWithProviders(<WebhooksManager />);
  return { api };
}

const row = (url = CRM) => screen.findByTestId(`webhook-row-${url}`);

beforeEach(() => stubLayoutApis());

describe("WebhooksManager", () => {
  it("lists endpoints with their events, switch and last delivery", async () => {
    renderManager();
    const line = await row();
    expect(line).toHaveTextContent("CRM sync");
    expect(line).toHaveTextContent("message.created");
    expect(line).toHaveTextContent("conversation.updated");
    expect(within(line).getByTestId("webhook-enabled")).toHaveAttribute("aria-checked", "true");
    const last = within(line).getByTestId("webhook-last-delivery");
    expect(within(last).getByTestId("delivery-status")).toHaveAttribute("data-status", "failed");
    expect(last).toHaveTextContent("500");
    expect(screen.getByTestId("webhook-signature-help")).toHaveTextContent("Verifying signatures");
    expect(screen.getByTestId("webhook-signature-snippet")).toHaveTextContent("hmac.compare_digest");
  });

  it("adds an endpoint after checking the form, then shows its secret once with Copy", async () => {
    const writeText = vi.fn(() => Promise.resolve());
    Object.defineProperty(navigator, "clipboard", { value: { writeText }, configurable: true });
    const { api } = renderManager();
    await row();
    await userEvent.click(screen.getByTestId("webhook-add"));
    const form = await screen.findByTestId("webhook-form");
    await userEvent.click(within(form).getByTestId("webhook-event-message.created")); // none left
    await userEvent.click(within(form).getByTestId("webhook-save"));
    expect(form).toHaveTextContent("Enter the URL that should receive the events.");
    expect(within(form).getByTestId("webhook-events-error")).toHaveTextContent("Pick at least one event.");
    expect(api.find("POST", "/api/webhook-endpoints")).toHaveLength(0);

    await userEvent.type(within(form).getByTestId("webhook-url"), "https://erp.example.com/in");
    await userEvent.click(within(form).getByTestId("webhook-event-message.updated"));
    await userEvent.click(within(form).getByTestId("webhook-event-message.created"));
    await userEvent.click(within(form).getByTestId("webhook-save"));

    const secret = await screen.findByTestId("webhook-secret");
    expect(secret).toHaveTextContent("whsec_newEndpointSecret");
    expect(api.find("POST", "/api/webhook-endpoints")[0]?.body).toEqual({
      url: "https://erp.example.com/in",
      description: null,
      events: ["message.created", "message.updated"],
      enabled: true,
    });
    await userEvent.click(screen.getByTestId("webhook-secret-copy"));
    expect(writeText).toHaveBeenCalledWith("whsec_newEndpointSecret");
    await userEvent.click(screen.getByTestId("webhook-secret-done"));
    await waitFor(() => expect(screen.queryByTestId("webhook-secret")).toBeNull());
    expect(await row("https://erp.example.com/in")).toBeInTheDocument();
  });

  it("shows the server's refusal of a URL under the field", async () => {
    renderManager({
      "POST /api/webhook-endpoints": () =>
        jsonResponse(422, { error: "private_address", detail: "The host intranet resolves to a private or local address (10.0.0.5)." }),
    });
    await userEvent.click(await screen.findByTestId("webhook-add"));
    const form = await screen.findByTestId("webhook-form");
    await userEvent.type(within(form).getByTestId("webhook-url"), "https://intranet/hook");
    await userEvent.click(within(form).getByTestId("webhook-save"));
    expect(await within(form).findByTestId("webhook-url-error")).toHaveTextContent("private or local address (10.0.0.5)");
    expect(screen.queryByTestId("webhook-secret")).toBeNull();
  });

  it("edits an endpoint and turns it off with the switch", async () => {
    const { api } = renderManager();
    const line = await row();
    await userEvent.click(within(line).getByTestId("webhook-edit"));
    const form = await screen.findByTestId("webhook-form");
    expect(within(form).getByTestId("webhook-url")).toHaveValue(CRM);
    expect(within(form).getByTestId("webhook-event-conversation.updated")).toBeChecked();
    await userEvent.click(within(form).getByTestId("webhook-event-conversation.updated"));
    await userEvent.click(within(form).getByTestId("webhook-save"));
    await waitFor(() => expect(screen.queryByTestId("webhook-form")).toBeNull());
    expect(api.find("PATCH", "/api/webhook-endpoints/ep1")[0]?.body).toEqual({
      url: CRM,
      description: "CRM sync",
      events: ["message.created"],
    });

    await userEvent.click(within(await row()).getByTestId("webhook-enabled"));
    await waitFor(() => expect(api.find("PATCH", "/api/webhook-endpoints/ep1")).toHaveLength(2));
    expect(api.find("PATCH", "/api/webhook-endpoints/ep1")[1]?.body).toEqual({ enabled: false });
    await waitFor(async () => expect(within(await row()).getByTestId("webhook-enabled")).toHaveAttribute("aria-checked", "false"));
    expect(within(await row()).getByTestId("webhook-test")).toBeDisabled();
  });

  it("shows the delivery log, a delivery's detail, and resends it", async () => {
    const { api } = renderManager();
    const rows = await screen.findAllByTestId("delivery-row");
    expect(rows.map((r) => r.dataset.status)).toEqual(["failed", "succeeded"]);
    expect(rows[0]).toHaveTextContent("message.created");
    expect(within(rows[0] as HTMLElement).getByTestId("delivery-row-response")).toHaveTextContent("500");
    expect(rows[0]).toHaveTextContent("8"); // attempts

    await userEvent.selectOptions(screen.getByTestId("delivery-status-filter"), "succeeded");
    await waitFor(() => expect(screen.getAllByTestId("delivery-row").map((r) => r.dataset.status)).toEqual(["succeeded"]));
    expect(api.requests.at(-1)?.query.get("status")).toBe("succeeded");
    await userEvent.selectOptions(screen.getByTestId("delivery-status-filter"), "");

    await waitFor(() => expect(screen.getAllByTestId("delivery-row")).toHaveLength(2));
    await userEvent.click(screen.getAllByTestId("delivery-row")[0] as HTMLElement);
    const shown = await screen.findByTestId("delivery-detail");
    expect(within(shown).getByTestId("delivery-request-body")).toHaveTextContent('"type": "message.created"');
    expect(within(shown).getByTestId("delivery-response-status")).toHaveTextContent("500");
    expect(within(shown).getByTestId("delivery-response-body")).toHaveTextContent("upstream exploded");
    expect(within(shown).getByTestId("delivery-error")).toHaveTextContent("HTTP 500");

    await userEvent.click(within(shown).getByTestId("delivery-resend"));
    await waitFor(() => expect(screen.getByTestId("delivery-detail")).toHaveAttribute("data-delivery-id", "d3"));
    expect(api.find("POST", "/api/webhook-deliveries/d2/resend")).toHaveLength(1);
    expect(within(screen.getByTestId("delivery-detail")).getByTestId("delivery-response-body")).toHaveTextContent("ok");
  });

  it("reveals and rotates the secret (rotation asks first)", async () => {
    const { api } = renderManager();
    const line = await row();
    await userEvent.click(within(line).getByTestId("webhook-reveal"));
    expect(await screen.findByTestId("webhook-secret")).toHaveTextContent(SECRET);
    await userEvent.click(screen.getByTestId("webhook-secret-done"));
    await waitFor(() => expect(screen.queryByTestId("webhook-secret")).toBeNull());

    await userEvent.click(within(await row()).getByTestId("webhook-rotate"));
    expect(api.find("POST", "/api/webhook-endpoints/ep1/rotate-secret")).toHaveLength(0);
    await userEvent.click(await screen.findByTestId("webhook-confirm-rotate"));
    expect(await screen.findByTestId("webhook-secret")).toHaveTextContent("whsec_rotatedSecret");
    expect(api.find("POST", "/api/webhook-endpoints/ep1/rotate-secret")).toHaveLength(1);
  });

  it("sends a test event and deletes after confirming", async () => {
    const { api } = renderManager();
    await userEvent.click(within(await row()).getByTestId("webhook-test"));
    await waitFor(() => expect(api.find("POST", "/api/webhook-endpoints/ep1/test")).toHaveLength(1));

    await userEvent.click(within(await row()).getByTestId("webhook-delete"));
    expect(api.find("DELETE", "/api/webhook-endpoints/ep1")).toHaveLength(0);
    await userEvent.click(await screen.findByTestId("webhook-confirm-delete"));
    await waitFor(() => expect(screen.queryByTestId(`webhook-row-${CRM}`)).toBeNull());
    expect(api.find("DELETE", "/api/webhook-endpoints/ep1")).toHaveLength(1);
    expect(await screen.findByText("No endpoints yet")).toBeInTheDocument();
  });

  it("shows a row's failure (e.g. a secret that cannot be decrypted)", async () => {
    renderManager({
      "GET /api/webhook-endpoints/ep1/secret": () =>
        jsonResponse(409, { error: "secret_unreadable", detail: "The signing secret cannot be decrypted; rotate the secret to get a new one." }),
    });
    await userEvent.click(within(await row()).getByTestId("webhook-reveal"));
    expect(await screen.findByTestId("webhook-row-error")).toHaveTextContent("rotate the secret");
    expect(screen.queryByTestId("webhook-secret")).toBeNull();
  });
});
