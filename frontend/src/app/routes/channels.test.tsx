import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

import type { Channel, Role } from "@/lib/api/types";
import { setTokens } from "@/lib/auth";
import { applyChannelUpdated } from "@/lib/realtime";
import type * as RealtimeModule from "@/lib/realtime";
import { stubApi, type StubHandler } from "@/testing/api-stub";
import { buildChannel, buildMe, jsonResponse } from "@/testing/fixtures";
import { renderApp } from "@/testing/render-app";
import { leaveForUrl } from "@/utils/navigation";

vi.mock("@/lib/realtime", async (importOriginal) => ({
  ...(await importOriginal<typeof RealtimeModule>()),
  useRealtimeConnection: () => "connected",
}));
vi.mock("@/utils/navigation", () => ({ leaveForUrl: vi.fn() }));

const DAY = 86_400_000;
const inDays = (days: number) => new Date(Date.now() + days * DAY + 60_000).toISOString();

const page = buildChannel({ id: "ch-ok", name: "Acme Page", external_id: "1001", last_event_at: new Date().toISOString() });
const expiring = buildChannel({
  id: "ch-exp",
  kind: "whatsapp",
  name: "Support line",
  display_phone_number: "+1 555 0123",
  is_primary: true,
  health: "expiring",
  token_expires_at: inDays(5),
});
const lost = buildChannel({ id: "ch-lost", name: "Old Page", status: "needs_reauth", health: "needs_reauth" });
const gone = buildChannel({ id: "ch-gone", name: "Closed Page", status: "disconnected", health: "disconnected" });

function signIn(role: Role, channels: Channel[], extra: Record<string, StubHandler> = {}) {
  setTokens({ accessToken: "a", refreshToken: "r" });
  return stubApi({
    "GET /api/auth/me": () => jsonResponse(200, buildMe(role)),
    "GET /api/channels": () => jsonResponse(200, { items: channels, next_cursor: null }),
    ...extra,
  });
}

function card(channelId: string): HTMLElement {
  const found = screen.getAllByTestId("channel-card").find((c) => c.dataset.channelId === channelId);
  if (found === undefined) throw new Error(`no card for ${channelId}`);
  return found;
}

describe("channels page", () => {
  it("shows each channel's health, address, primary badge and last event", async () => {
    signIn("owner", [page, expiring, lost, gone]);
    renderApp("/channels");

    expect(await screen.findByRole("heading", { level: 1, name: "Channels" })).toBeInTheDocument();
    const cards = await screen.findAllByTestId("channel-card");
    expect(cards.map((c) => [c.dataset.channelId, c.dataset.status])).toEqual([
      ["ch-ok", "active"],
      ["ch-exp", "active"],
      ["ch-lost", "needs_reauth"],
      ["ch-gone", "disconnected"],
    ]);
    const health = (id: string) => within(card(id)).getByTestId("channel-health");
    expect(health("ch-ok")).toHaveTextContent("Connected");
    expect(health("ch-exp")).toHaveTextContent("Token expires in 5 days");
    expect(health("ch-exp")).toHaveAttribute("data-health", "expiring");
    expect(health("ch-lost")).toHaveTextContent("Needs reconnect");
    expect(health("ch-gone")).toHaveTextContent("Disconnected");

    expect(within(card("ch-ok")).getByTestId("channel-address")).toHaveTextContent("1001");
    expect(within(card("ch-exp")).getByTestId("channel-address")).toHaveTextContent("+1 555 0123");
    expect(within(card("ch-exp")).getByTestId("channel-primary")).toHaveTextContent("Primary");
    expect(within(card("ch-ok")).queryByTestId("channel-primary")).toBeNull();
    expect(within(card("ch-ok")).getByTestId("channel-last-event")).toHaveTextContent("Last event just now");
    expect(within(card("ch-lost")).getByTestId("channel-last-event")).toHaveTextContent("No events yet");
  });

  it("gives owners reconnect only where it is due, disconnect only for live channels, and the connect cards", async () => {
    signIn("owner", [page, expiring, lost, gone]);
    renderApp("/channels");
    await screen.findAllByTestId("channel-card");

    const has = (id: string, testId: string) => within(card(id)).queryByTestId(testId) !== null;
    expect(["ch-ok", "ch-exp", "ch-lost", "ch-gone"].map((id) => has(id, "channel-reconnect"))).toEqual([
      false,
      true,
      true,
      true,
    ]);
    expect(["ch-ok", "ch-exp", "ch-lost", "ch-gone"].map((id) => has(id, "channel-disconnect"))).toEqual([
      true,
      true,
      true,
      false,
    ]);
    // History import is for active Messenger Pages.
    expect(has("ch-ok", "channel-import-history")).toBe(true);
    expect(has("ch-exp", "channel-import-history")).toBe(false);
    expect(within(card("ch-ok")).getByTestId("channel-rename")).toHaveValue("Acme Page");
    expect(screen.getByTestId("connect-messenger")).toHaveTextContent("Connect a Facebook Page");
    expect(screen.getByTestId("connect-whatsapp")).toHaveTextContent("Connect WhatsApp");
  });

  it.each(["agent", "viewer"] as const)("hides every admin control from a %s (no channels:manage)", async (role) => {
    signIn(role, [page, expiring, lost, gone]);
    renderApp("/channels");
    await screen.findAllByTestId("channel-card");
    await waitFor(() => expect(screen.getByTestId("user-menu")).toHaveTextContent(`${role}@acme.test`));

    for (const testId of [
      "channel-rename",
      "channel-reconnect",
      "channel-disconnect",
      "channel-import-history",
      "connect-messenger",
      "connect-whatsapp",
      "reauth-reconnect",
    ]) {
      expect(screen.queryByTestId(testId), testId).toBeNull();
    }
    expect(within(card("ch-ok")).getByTestId("channel-name")).toHaveTextContent("Acme Page");
    expect(screen.getByTestId("reauth-banner")).toHaveTextContent("Ask an admin to reconnect it.");
  });

  it("disconnect asks for confirmation first, then calls DELETE and shows the channel disconnected", async () => {
    const api = signIn("owner", [page], {
      "DELETE /api/channels/ch-ok": () =>
        jsonResponse(200, { ...page, status: "disconnected", health: "disconnected" }),
    });
    renderApp("/channels");
    await screen.findAllByTestId("channel-card");

    await userEvent.click(within(card("ch-ok")).getByTestId("channel-disconnect"));
    const dialog = await screen.findByRole("alertdialog");
    expect(dialog).toHaveTextContent("Disconnect Acme Page?");
    expect(dialog).toHaveTextContent("conversations and message history are kept");
    expect(api.find("DELETE", "/api/channels/ch-ok")).toHaveLength(0);

    // Cancel sends nothing.
    await userEvent.click(within(dialog).getByRole("button", { name: "Cancel" }));
    await waitFor(() => expect(screen.queryByRole("alertdialog")).toBeNull());
    expect(api.find("DELETE", "/api/channels/ch-ok")).toHaveLength(0);

    await userEvent.click(within(card("ch-ok")).getByTestId("channel-disconnect"));
    await userEvent.click(await screen.findByTestId("confirm-disconnect"));

    await waitFor(() => expect(card("ch-ok")).toHaveAttribute("data-status", "disconnected"));
    expect(api.find("DELETE", "/api/channels/ch-ok")).toHaveLength(1);
    expect(within(card("ch-ok")).getByTestId("channel-health")).toHaveTextContent("Disconnected");
    await waitFor(() => expect(screen.queryByRole("alertdialog")).toBeNull());
  });

  it("keeps the dialog open with the server's reason when the disconnect is refused", async () => {
    signIn("admin", [page], {
      "DELETE /api/channels/ch-ok": () =>
        jsonResponse(403, { error: "forbidden", detail: "Only owners and admins can manage channels." }),
    });
    renderApp("/channels");
    await screen.findAllByTestId("channel-card");

    await userEvent.click(within(card("ch-ok")).getByTestId("channel-disconnect"));
    await userEvent.click(await screen.findByTestId("confirm-disconnect"));

    expect(await screen.findByTestId("disconnect-error")).toHaveTextContent("Only owners and admins can manage channels.");
    expect(card("ch-ok")).toHaveAttribute("data-status", "active");
  });

  it("renames inline: Enter sends PATCH with the trimmed name and the card shows it", async () => {
    const api = signIn("owner", [page], {
      "PATCH /api/channels/ch-ok": (request) =>
        jsonResponse(200, { ...page, name: (request.body as { name: string }).name }),
    });
    renderApp("/channels");
    const input = await screen.findByTestId("channel-rename");

    await userEvent.clear(input);
    await userEvent.type(input, "  Acme Support  {Enter}");

    await waitFor(() => expect(api.find("PATCH", "/api/channels/ch-ok")).toHaveLength(1));
    expect(api.find("PATCH", "/api/channels/ch-ok")[0]?.body).toEqual({ name: "Acme Support" });
    await waitFor(() => expect(screen.getByTestId("channel-rename")).toHaveValue("Acme Support"));
  });

  it("Escape abandons a rename without a request", async () => {
    const api = signIn("owner", [page]);
    renderApp("/channels");
    const input = await screen.findByTestId("channel-rename");

    await userEvent.type(input, " typo{Escape}");

    expect(input).toHaveValue("Acme Page");
    expect(api.find("PATCH", "/api/channels/ch-ok")).toHaveLength(0);
  });

  it("connect cards fetch the login URL as JSON and send the browser there", async () => {
    const api = signIn("owner", [], {
      "GET /api/meta/login": () => jsonResponse(200, { authorize_url: "https://facebook.test/dialog/oauth?x=1" }),
    });
    renderApp("/channels");

    expect(await screen.findByText("Connect your first channel")).toBeInTheDocument();
    await userEvent.click(screen.getByTestId("connect-whatsapp"));

    await waitFor(() => expect(leaveForUrl).toHaveBeenCalledWith("https://facebook.test/dialog/oauth?x=1"));
    const [login] = api.find("GET", "/api/meta/login");
    expect(login?.query.get("product")).toBe("whatsapp");
    expect(login?.headers.get("Accept")).toBe("application/json");
  });

  it("reconnect asks the API where to go and goes there", async () => {
    const api = signIn("owner", [lost], {
      "POST /api/channels/ch-lost/reconnect": () => jsonResponse(200, { authorize_url: "https://facebook.test/re" }),
    });
    renderApp("/channels");
    await screen.findAllByTestId("channel-card");

    await userEvent.click(within(card("ch-lost")).getByTestId("channel-reconnect"));

    await waitFor(() => expect(leaveForUrl).toHaveBeenCalledWith("https://facebook.test/re"));
    expect(api.find("POST", "/api/channels/ch-lost/reconnect")).toHaveLength(1);
  });

  it("shows the detail of a failed connect from the query string", async () => {
    signIn("owner", [page]);
    renderApp("/channels?error=page_connected_elsewhere&detail=Acme%20Page%20is%20connected%20to%20another%20workspace.");

    expect(await screen.findByTestId("connect-error")).toHaveTextContent("Acme Page is connected to another workspace.");
    expect(screen.queryByTestId("connect-success")).toBeNull();
  });

  it("confirms a finished reconnect by the channel's name", async () => {
    signIn("owner", [page]);
    renderApp("/channels?reconnected=ch-ok");

    await waitFor(() => expect(screen.getByTestId("connect-success")).toHaveTextContent("Acme Page is reconnected."));
  });

  it("shows history import progress, and follows channel:updated", async () => {
    const importing = buildChannel({
      id: "ch-imp",
      name: "Importing Page",
      history_import: { status: "running", imported: 12, total: 40, error: null },
    });
    signIn("owner", [importing]);
    const { queryClient } = renderApp("/channels");

    const progress = await screen.findByTestId("history-import");
    expect(progress).toHaveTextContent("Importing conversations… 12 / 40");
    expect(within(progress).getByRole("progressbar")).toHaveAttribute("aria-valuenow", "12");

    await act(async () => {
      applyChannelUpdated(queryClient, {
        seq: 3,
        channel: { ...importing, history_import: { status: "done", imported: 40, total: 40, error: null } },
      });
    });
    await waitFor(() => expect(screen.getByTestId("history-import")).toHaveTextContent("Imported 40 conversations"));

    await act(async () => {
      applyChannelUpdated(queryClient, {
        seq: 4,
        channel: { ...importing, history_import: { status: "failed", imported: 3, total: 40, error: "Rate limited by Meta" } },
      });
    });
    await waitFor(() => expect(screen.getByTestId("history-import")).toHaveTextContent("Rate limited by Meta"));
    expect(screen.getByTestId("channel-import-history")).toHaveTextContent("Retry import");
  });

  it("queues a history import with POST and shows it queued", async () => {
    const api = signIn("owner", [page], {
      "POST /api/channels/ch-ok/import-history": () =>
        jsonResponse(202, { ...page, history_import: { status: "queued", imported: 0, total: null, error: null } }),
    });
    renderApp("/channels");

    await userEvent.click(await screen.findByTestId("channel-import-history"));

    expect(await screen.findByTestId("history-import")).toHaveAttribute("data-import-status", "queued");
    expect(api.find("POST", "/api/channels/ch-ok/import-history")).toHaveLength(1);
    expect(screen.queryByTestId("channel-import-history")).toBeNull();
  });
});

describe("reconnect banner", () => {
  it("names the channel that needs reconnecting and lets an owner reconnect from any page", async () => {
    const api = signIn("owner", [page, lost], {
      "GET /api/inbox/conversations": () => jsonResponse(200, { items: [], next_cursor: null }),
      "POST /api/channels/ch-lost/reconnect": () => jsonResponse(200, { authorize_url: "https://facebook.test/re" }),
    });
    renderApp("/inbox");

    const banner = await screen.findByTestId("reauth-banner");
    expect(banner).toHaveTextContent("Old Page needs to be reconnected.");
    expect(within(banner).getAllByTestId("reauth-banner-item")).toHaveLength(1);

    await userEvent.click(within(banner).getByTestId("reauth-reconnect"));
    await waitFor(() => expect(leaveForUrl).toHaveBeenCalledWith("https://facebook.test/re"));
    expect(api.find("POST", "/api/channels/ch-lost/reconnect")).toHaveLength(1);
  });

  it("warns before a token expires", async () => {
    signIn("owner", [expiring]);
    renderApp("/channels");
    expect(await screen.findByTestId("reauth-banner")).toHaveTextContent("Support line's access expires in 5 days.");
  });

  it("is absent while every channel is healthy, and appears when one needs re-auth", async () => {
    signIn("owner", [page, gone]);
    const { queryClient } = renderApp("/channels");
    await screen.findAllByTestId("channel-card");
    expect(screen.queryByTestId("reauth-banner")).toBeNull();

    await act(async () => {
      applyChannelUpdated(queryClient, { seq: 1, channel: { ...page, status: "needs_reauth", health: "needs_reauth" } });
    });
    expect(await screen.findByTestId("reauth-banner")).toHaveTextContent("Acme Page needs to be reconnected.");
    expect(card("ch-ok")).toHaveAttribute("data-status", "needs_reauth");
  });
});

describe("navigation", () => {
  it("the sidebar links to Channels", async () => {
    signIn("owner", [page], {
      "GET /api/inbox/conversations": () => jsonResponse(200, { items: [], next_cursor: null }),
    });
    const { router } = renderApp("/inbox");

    await userEvent.click(await screen.findByTestId("nav-channels"));

    expect(router.state.location.pathname).toBe("/channels");
    expect(await screen.findAllByTestId("channel-card")).toHaveLength(1);
  });
});
