import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

import { addDays, localTimeZone, localToday } from "@/features/reports/utils/report";
import type { ReportOverview, Role } from "@/lib/api/types";
import { setTokens } from "@/lib/auth";
import type * as RealtimeModule from "@/lib/realtime";
import { stubApi, type RecordedRequest, type StubHandler } from "@/testing/api-stub";
import { buildChannel, buildMe, jsonResponse } from "@/testing/fixtures";
import { renderApp } from "@/testing/render-app";

vi.mock("@/lib/realtime", async (importOriginal) => ({
  ...(await importOriginal<typeof RealtimeModule>()),
  useRealtimeConnection: () => "connected",
}));

const page = buildChannel({ id: "ch-page", name: "Acme Page", kind: "messenger" });
const wa = buildChannel({ id: "ch-wa", name: "Support line", kind: "whatsapp" });

function counts(inbound: number, outbound: number, delivered: number, read: number, failed: number) {
  return { inbound, outbound, delivered, read, failed };
}

/** What the API would answer for the period the page asked for. */
function reportFor(request: RecordedRequest, overrides: Partial<ReportOverview> = {}): ReportOverview {
  const from = request.query.get("from") ?? "";
  const to = request.query.get("to") ?? "";
  return {
    from,
    to,
    tz: request.query.get("tz") ?? "UTC",
    channel_id: request.query.get("channel_id"),
    days: [
      { date: from, channel_id: "ch-page", ...counts(3, 5, 3, 1, 1) },
      { date: from, channel_id: "ch-wa", ...counts(1, 0, 0, 0, 0) },
      { date: to, channel_id: "ch-wa", ...counts(2, 3, 2, 2, 0) },
    ],
    channels: [
      { channel_id: "ch-page", name: "Acme Page", kind: "messenger", status: "active", ...counts(3, 5, 3, 1, 1), delivery_rate: 0.6, read_rate: 0.2 },
      { channel_id: "ch-wa", name: "Support line", kind: "whatsapp", status: "active", ...counts(3, 3, 2, 2, 0), delivery_rate: 0.6667, read_rate: 0.6667 },
    ],
    failures: [
      { channel_id: "ch-page", code: "551", reason: "This person isn't available right now.", count: 1, last_at: "2026-11-20T10:00:00Z" },
    ],
    webhook_events: { processed: 1280, pending: 4, failed: 0, dead: 2, retention_days: 30 },
    expiring_tokens: [
      { channel_id: "ch-wa", name: "Support line", kind: "whatsapp", status: "active", token_expires_at: new Date(Date.now() + 3 * 86_400_000 + 3_600_000).toISOString() },
    ],
    generated_at: new Date().toISOString(),
    ...overrides,
  };
}

function signIn(role: Role, extra: Record<string, StubHandler> = {}) {
  setTokens({ accessToken: "a", refreshToken: "r" });
  return stubApi({
    "GET /api/auth/me": () => jsonResponse(200, buildMe(role)),
    "GET /api/channels": () => jsonResponse(200, { items: [page, wa], next_cursor: null }),
    "GET /api/reports/overview": (request) => jsonResponse(200, reportFor(request)),
    ...extra,
  });
}

const lastQuery = (api: ReturnType<typeof signIn>) => api.find("GET", "/api/reports/overview").at(-1)?.query;

describe("reports page", () => {
  it("is in the sidebar for admins and shows the last 14 days in the browser's time zone", async () => {
    const api = signIn("admin");
    renderApp("/inbox");
    await userEvent.click(await screen.findByTestId("nav-reports"));

    expect(await screen.findByRole("heading", { level: 1, name: "Reports" })).toBeInTheDocument();
    await screen.findByTestId("report-summary");
    const today = localToday();
    expect(lastQuery(api)?.get("from")).toBe(addDays(today, -13));
    expect(lastQuery(api)?.get("to")).toBe(today);
    expect(lastQuery(api)?.get("tz")).toBe(localTimeZone());
    expect(lastQuery(api)?.get("channel_id")).toBeNull();

    expect(screen.getByTestId("summary-inbound-value")).toHaveTextContent("6");
    expect(screen.getByTestId("summary-outbound-value")).toHaveTextContent("8");
    expect(screen.getByTestId("summary-delivery-rate-value")).toHaveTextContent("63%");
    expect(screen.getByTestId("summary-read-rate-value")).toHaveTextContent("38%");
    expect(screen.getByTestId("summary-failed-value")).toHaveTextContent("1");
    expect(screen.getByTestId("summary-failed")).toHaveAttribute("data-tone", "bad");

    // One pair of bars per day of the period, quiet days included.
    const bars = screen.getAllByTestId("chart-day");
    expect(bars).toHaveLength(14);
    expect(bars[0]).toHaveAttribute("data-date", addDays(today, -13));
    expect(bars[0]?.textContent).toContain("4 in, 5 out, 1 failed");
    // Bars are drawn against the busiest day (5 out): the last day's 3 replies reach 60%.
    expect(screen.getByTestId("chart-max")).toHaveTextContent("5");
    expect(within(bars[13] as HTMLElement).getByTestId("chart-outbound").parentElement).toHaveStyle({ height: "60%" });
    expect(within(bars[13] as HTMLElement).getByTestId("chart-inbound")).toHaveStyle({ height: "40%" });
  });

  it("lays out each channel, each channel's days, failures, webhooks and expiring access", async () => {
    signIn("owner");
    renderApp("/reports");

    const channelRows = await screen.findAllByTestId("report-channel-row");
    expect(channelRows.map((r) => r.dataset.channelId)).toEqual(["ch-page", "ch-wa"]);
    expect(channelRows[0]).toHaveTextContent("Acme Page");
    expect(channelRows[0]).toHaveTextContent("60%");
    expect(channelRows[1]).toHaveTextContent("67%");

    const dayRows = screen.getAllByTestId("report-day-row");
    expect(dayRows.map((r) => r.dataset.date)).toEqual([localToday(), addDays(localToday(), -13), addDays(localToday(), -13)]);
    expect(dayRows[1]).toHaveTextContent("Acme Page");

    const [failure] = screen.getAllByTestId("report-failure-row");
    expect(failure).toHaveAttribute("data-code", "551");
    expect(failure).toHaveTextContent("This person isn't available right now.");
    expect(failure).toHaveTextContent("Acme Page");

    expect(screen.getByTestId("webhooks-processed-value")).toHaveTextContent("1,280");
    expect(screen.getByTestId("webhooks-pending")).toHaveAttribute("data-tone", "warn");
    expect(screen.getByTestId("webhooks-dead")).toHaveAttribute("data-tone", "bad");
    expect(screen.queryByTestId("webhooks-retention")).toBeNull();
    expect(screen.getByRole("link", { name: /Event log and replays/ })).toHaveAttribute("href", "/operations");

    const [token] = screen.getAllByTestId("report-token");
    expect(token).toHaveTextContent("Support line");
    expect(token).toHaveTextContent("Access expires in 3 days");
    expect(within(token as HTMLElement).getByRole("link", { name: /Channel settings/ })).toHaveAttribute("href", "/channels");
  });

  it("asks again for another range, a custom one, and one channel", async () => {
    const api = signIn("owner");
    const { router } = renderApp("/reports");
    await screen.findByTestId("report-summary");
    const today = localToday();

    await userEvent.click(within(screen.getByTestId("report-range")).getByRole("tab", { name: "7 days" }));
    await waitFor(() => expect(lastQuery(api)?.get("from")).toBe(addDays(today, -6)));
    await waitFor(() => expect(screen.getAllByTestId("chart-day")).toHaveLength(7));
    expect(router.state.location.search).toBe("?range=7");

    await userEvent.click(within(screen.getByTestId("report-range")).getByRole("tab", { name: "Custom" }));
    // Custom starts from the range on screen.
    expect(screen.getByTestId("report-from")).toHaveValue(addDays(today, -6));
    expect(screen.getByTestId("report-to")).toHaveValue(today);

    // A date input changes as a whole (a picker), not key by key.
    fireEvent.change(screen.getByTestId("report-from"), { target: { value: "2026-01-01" } });
    fireEvent.change(screen.getByTestId("report-to"), { target: { value: "2026-01-31" } });
    await waitFor(() => expect(lastQuery(api)?.get("to")).toBe("2026-01-31"));
    expect(lastQuery(api)?.get("from")).toBe("2026-01-01");
    await waitFor(() => expect(screen.getAllByTestId("chart-day")).toHaveLength(31));
    expect(screen.getByTestId("webhooks-retention")).toHaveTextContent("kept 30 days");

    await userEvent.selectOptions(screen.getByTestId("report-channel"), "ch-wa");
    await waitFor(() => expect(lastQuery(api)?.get("channel_id")).toBe("ch-wa"));
    expect(new URLSearchParams(router.state.location.search).get("channel")).toBe("ch-wa");
  });

  it("explains a custom range it cannot report on, without asking the API", async () => {
    const api = signIn("owner");
    renderApp("/reports?range=custom&from=2026-03-10&to=2026-03-01");

    expect(await screen.findByTestId("report-range-error")).toHaveTextContent("The start date is after the end date.");
    expect(screen.getByTestId("report-from")).toHaveAttribute("aria-invalid", "true");
    expect(api.find("GET", "/api/reports/overview")).toHaveLength(0);
    expect(screen.queryByTestId("report-summary")).toBeNull();
  });

  it("says when there is nothing to report yet", async () => {
    signIn("owner", {
      "GET /api/reports/overview": (request) =>
        jsonResponse(200, reportFor(request, { days: [], channels: [], failures: [], expiring_tokens: [], webhook_events: { processed: 0, pending: 0, failed: 0, dead: 0, retention_days: 30 } })),
    });
    renderApp("/reports");

    expect(await screen.findByText("No messages in this period")).toBeInTheDocument();
    expect(screen.getByTestId("summary-delivery-rate-value")).toHaveTextContent("—");
    expect(screen.getByTestId("report-no-failures")).toBeInTheDocument();
    expect(screen.getByTestId("report-tokens-ok")).toBeInTheDocument();
    expect(screen.queryByTestId("report-days")).toBeNull();
  });

  it("offers to connect a channel when there is none", async () => {
    signIn("owner", { "GET /api/channels": () => jsonResponse(200, { items: [], next_cursor: null }) });
    renderApp("/reports");

    expect(await screen.findByText("No channels yet")).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Connect a channel" })).toHaveAttribute("href", "/channels");
  });

  it("shows why the report could not load and tries again", async () => {
    let fail = true;
    signIn("owner", {
      "GET /api/reports/overview": (request) =>
        fail
          ? jsonResponse(422, { error: "invalid_timezone", detail: "Unknown time zone 'Mars/Base': use an IANA name." })
          : jsonResponse(200, reportFor(request)),
    });
    renderApp("/reports");

    expect(await screen.findByTestId("report-error")).toHaveTextContent("Unknown time zone 'Mars/Base'");
    fail = false;
    await userEvent.click(screen.getByRole("button", { name: "Try again" }));
    expect(await screen.findByTestId("report-summary")).toBeInTheDocument();
  });

  it("is not offered to agents, and refuses them without asking the API", async () => {
    const api = signIn("agent");
    renderApp("/reports");
    expect(await screen.findByText("Reports are for owners and admins")).toBeInTheDocument();
    expect(screen.queryByTestId("nav-reports")).toBeNull();
    expect(api.find("GET", "/api/reports/overview")).toHaveLength(0);
  });
});
