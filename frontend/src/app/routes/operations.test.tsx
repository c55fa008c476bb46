import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

import type { Role, WebhookEvent } from "@/lib/api/types";
import { setTokens } from "@/lib/auth";
import type * as RealtimeModule from "@/lib/realtime";
import { stubApi, type RecordedRequest, type StubHandler } from "@/testing/api-stub";
import { buildMe, buildWebhookChannel, buildWebhookEvent, jsonResponse } from "@/testing/fixtures";
import { renderApp } from "@/testing/render-app";

vi.mock("@/lib/realtime", async (importOriginal) => ({
  ...(await importOriginal<typeof RealtimeModule>()),
  useRealtimeConnection: () => "connected",
}));

const healthy = buildWebhookChannel({
  channel_id: "ch-page",
  channel_name: "Acme Page",
  last_event_at: new Date(Date.now() - 5 * 60_000).toISOString(),
  lag_ms: 240,
  processed_24h: 1280,
});
const failing = buildWebhookChannel({
  channel_id: "ch-wa",
  channel_name: "Support line",
  kind: "whatsapp",
  last_event_at: new Date().toISOString(),
  lag_ms: 1500,
  processed_24h: 310,
  failed: 2,
  dead: 1,
  pending: 4,
});

const processed = buildWebhookEvent({
  id: "e1",
  object: "page",
  status: "processed",
  result: "messages: 1 new",
  channel_ids: ["ch-page"],
  received_at: "2026-11-20T10:03:00Z",
});
const failed = buildWebhookEvent({
  id: "e2",
  object: "whatsapp_business_account",
  status: "failed",
  attempts: 3,
  last_error: "IntegrityError: duplicate key value",
  processed_at: null,
  channel_ids: ["ch-wa"],
  received_at: "2026-11-20T10:02:00Z",
});
const dead = buildWebhookEvent({
  id: "e3",
  object: "whatsapp_business_account",
  status: "dead",
  attempts: 8,
  last_error: "Timeout talking to Redis",
  processed_at: null,
  channel_ids: ["ch-wa"],
  received_at: "2026-11-20T10:01:00Z",
});

function eventsFor(request: RecordedRequest, events: WebhookEvent[]) {
  const status = request.query.get("status");
  const channel = request.query.get("channel_id");
  return events.filter((e) => (status === null || e.status === status) && (channel === null || e.channel_ids.includes(channel)));
}

function signIn(role: Role, extra: Record<string, StubHandler> = {}) {
  setTokens({ accessToken: "a", refreshToken: "r" });
  return stubApi({
    "GET /api/auth/me": () => jsonResponse(200, buildMe(role)),
    "GET /api/channels": () => jsonResponse(200, { items: [], next_cursor: null }),
    "GET /api/webhooks/channels": () => jsonResponse(200, { items: [healthy, failing], next_cursor: null }),
    "GET /api/webhooks/events": (request) =>
      jsonResponse(200, { items: eventsFor(request, [processed, failed, dead]), next_cursor: null }),
    ...extra,
  });
}

function row(eventId: string): HTMLElement {
  const found = screen.getAllByTestId("event-row").find((r) => r.dataset.eventId === eventId);
  if (found === undefined) throw new Error(`no row for ${eventId}`);
  return found;
}

const rowIds = () => screen.getAllByTestId("event-row").map((r) => r.dataset.eventId);

describe("operations page", () => {
  it("is in the sidebar for admins and shows each channel's webhook health", async () => {
    signIn("admin");
    renderApp("/inbox");
    await userEvent.click(await screen.findByTestId("nav-operations"));

    expect(await screen.findByRole("heading", { level: 1, name: "Operations" })).toBeInTheDocument();
    const rows = await screen.findAllByTestId("ops-channel-row");
    expect(rows.map((r) => [r.dataset.channelId, r.dataset.failing])).toEqual([
      ["ch-page", "false"],
      ["ch-wa", "true"],
    ]);
    expect(rows[0]).toHaveTextContent("Acme Page");
    expect(rows[0]).toHaveTextContent("5m ago");
    expect(rows[0]).toHaveTextContent("240 ms");
    expect(rows[0]).toHaveTextContent("1280");
    expect(rows[1]).toHaveTextContent("1.5 s");
    expect(within(rows[1] as HTMLElement).getByTestId("ops-channel-failed")).toHaveTextContent("2");
    expect(within(rows[1] as HTMLElement).getByTestId("ops-channel-dead")).toHaveTextContent("1");
    expect(rows[1]).toHaveClass("bg-destructive/5");
    expect(within(rows[1] as HTMLElement).getByRole("img", { name: "3 failed events" })).toBeInTheDocument();
    expect(rows[0]).not.toHaveClass("bg-destructive/5");
  });

  it("lists events and filters them by status", async () => {
    const api = signIn("owner");
    renderApp("/operations");

    await screen.findAllByTestId("event-row");
    expect(rowIds()).toEqual(["e1", "e2", "e3"]);
    expect(row("e1")).toHaveAttribute("data-status", "processed");
    expect(row("e1")).toHaveTextContent("Acme Page");
    expect(row("e2")).toHaveTextContent("Support line");

    const filter = screen.getByTestId("event-status-filter");
    await userEvent.click(within(filter).getByRole("tab", { name: "Failed" }));
    await waitFor(() => expect(rowIds()).toEqual(["e2"]));
    expect(within(filter).getByRole("tab", { name: "Failed" })).toHaveAttribute("aria-selected", "true");
    expect(api.find("GET", "/api/webhooks/events").at(-1)?.query.get("status")).toBe("failed");

    await userEvent.click(within(filter).getByRole("tab", { name: "Dead" }));
    await waitFor(() => expect(rowIds()).toEqual(["e3"]));

    await userEvent.click(within(filter).getByRole("tab", { name: "Pending" }));
    expect(await screen.findByText("No events")).toBeInTheDocument();
    expect(api.find("GET", "/api/webhooks/events").at(-1)?.query.get("status")).toBe("received");

    await userEvent.click(within(filter).getByRole("tab", { name: "All" }));
    await waitFor(() => expect(rowIds()).toEqual(["e1", "e2", "e3"]));
  });

  it("filters events by channel and expands a row to its result and error", async () => {
    const api = signIn("owner");
    renderApp("/operations");
    await screen.findAllByTestId("event-row");
    await screen.findAllByTestId("ops-channel-row");

    await userEvent.selectOptions(screen.getByTestId("event-channel-filter"), "ch-wa");
    await waitFor(() => expect(rowIds()).toEqual(["e2", "e3"]));
    const last = api.find("GET", "/api/webhooks/events").at(-1);
    expect(last?.query.get("channel_id")).toBe("ch-wa");
    expect(last?.query.get("status")).toBeNull();

    expect(screen.queryByTestId("event-details")).toBeNull();
    await userEvent.click(row("e2"));
    const details = await screen.findByTestId("event-details");
    expect(details).toHaveTextContent("IntegrityError: duplicate key value");
    expect(row("e2")).toHaveAttribute("aria-expanded", "true");

    await userEvent.selectOptions(screen.getByTestId("event-channel-filter"), "");
    await waitFor(() => expect(rowIds()).toEqual(["e1", "e2", "e3"]));
    await userEvent.click(row("e1"));
    expect(screen.getAllByTestId("event-details").some((d) => d.textContent?.includes("messages: 1 new"))).toBe(true);
  });

  it("replays a failed event and shows it pending again", async () => {
    const api = signIn("owner", {
      "POST /api/webhooks/events/e2/replay": () =>
        jsonResponse(202, { ...failed, status: "received", last_error: null }),
    });
    renderApp("/operations");
    await screen.findAllByTestId("event-row");

    // Only failed and dead deliveries can be replayed.
    expect(within(row("e1")).queryByTestId("replay-event")).toBeNull();
    expect(within(row("e3")).getByTestId("replay-event")).toBeInTheDocument();

    await userEvent.click(within(row("e2")).getByTestId("replay-event"));
    await waitFor(() => expect(row("e2")).toHaveAttribute("data-status", "received"));
    expect(api.find("POST", "/api/webhooks/events/e2/replay")).toHaveLength(1);
    expect(within(row("e2")).getByTestId("event-status")).toHaveTextContent("Pending");
    expect(within(row("e2")).queryByTestId("replay-event")).toBeNull();
    // Replaying does not expand the row.
    expect(screen.queryByTestId("event-details")).toBeNull();
    // The channel counts are fetched again.
    await waitFor(() => expect(api.find("GET", "/api/webhooks/channels").length).toBeGreaterThan(1));
  });

  it("says why a replay was refused", async () => {
    signIn("owner", {
      "POST /api/webhooks/events/e3/replay": () => jsonResponse(409, { error: "conflict", detail: "The event is already queued." }),
    });
    renderApp("/operations");
    await screen.findAllByTestId("event-row");
    await userEvent.click(within(row("e3")).getByTestId("replay-event"));
    expect(await within(row("e3")).findByTestId("replay-error")).toHaveTextContent("The event is already queued.");
    expect(row("e3")).toHaveAttribute("data-status", "dead");
  });

  it("loads older events on demand", async () => {
    const older = buildWebhookEvent({ id: "e0", received_at: "2026-11-19T10:00:00Z" });
    const api = signIn("owner", {
      "GET /api/webhooks/events": (request) =>
        request.query.get("cursor") === "page-2"
          ? jsonResponse(200, { items: [older], next_cursor: null })
          : jsonResponse(200, { items: [processed, failed], next_cursor: "page-2" }),
    });
    renderApp("/operations");
    await screen.findAllByTestId("event-row");
    expect(rowIds()).toEqual(["e1", "e2"]);

    await userEvent.click(screen.getByTestId("events-load-more"));
    await waitFor(() => expect(rowIds()).toEqual(["e1", "e2", "e0"]));
    expect(api.find("GET", "/api/webhooks/events").at(-1)?.query.get("cursor")).toBe("page-2");
    expect(screen.queryByTestId("events-load-more")).toBeNull();
  });

  it("is not offered to agents, and refuses them without asking the API", async () => {
    const api = signIn("agent");
    renderApp("/operations");
    expect(await screen.findByText("Operations is for owners and admins")).toBeInTheDocument();
    expect(screen.getByTestId("nav-inbox")).toBeInTheDocument();
    expect(screen.queryByTestId("nav-operations")).toBeNull();
    expect(api.calls().filter((c) => c.includes("/api/webhooks/"))).toEqual([]);
  });
});
