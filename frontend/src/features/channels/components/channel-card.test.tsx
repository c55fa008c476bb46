import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

import type { Channel, Role } from "@/lib/api/types";
import { setTokens } from "@/lib/auth";
import type * as RealtimeModule from "@/lib/realtime";
import { stubApi, type StubHandler } from "@/testing/api-stub";
import { buildChannel, buildMe, jsonResponse } from "@/testing/fixtures";
import { renderApp } from "@/testing/render-app";

vi.mock("@/lib/realtime", async (importOriginal) => ({
  ...(await importOriginal<typeof RealtimeModule>()),
  useRealtimeConnection: () => "connected",
}));

const page = buildChannel({ id: "ch-page", name: "Acme Page" });
const number = buildChannel({ id: "ch-wa", kind: "whatsapp", name: "Support line", send_read_receipts: true });
const gone = buildChannel({ id: "ch-gone", name: "Closed Page", status: "disconnected", health: "disconnected" });

function signIn(role: Role, channels: Channel[], extra: Record<string, StubHandler> = {}) {
  setTokens({ accessToken: "a", refreshToken: "r" });
  return stubApi({
    "GET /api/auth/me": () => jsonResponse(200, buildMe(role)),
    "GET /api/channels": () => jsonResponse(200, { items: channels, next_cursor: null }),
    ...extra,
  });
}

async function card(channelId: string): Promise<HTMLElement> {
  const cards = await screen.findAllByTestId("channel-card");
  const found = cards.find((c) => c.dataset.channelId === channelId);
  if (found === undefined) throw new Error(`no card for ${channelId}`);
  return found;
}

const toggle = async (channelId: string) =>
  within(await card(channelId)).getByRole("switch", { name: "Send read receipts" });

describe("channel card: read receipts", () => {
  it("shows each channel's setting to admins", async () => {
    signIn("admin", [page, number]);
    renderApp("/channels");

    expect(await toggle("ch-page")).toHaveAttribute("aria-checked", "false");
    expect(await toggle("ch-wa")).toHaveAttribute("aria-checked", "true");
    expect(within(await card("ch-wa")).getByText(/blue ticks/)).toBeInTheDocument();
  });

  it("turns read receipts on with a PATCH and shows the saved state", async () => {
    const api = signIn("owner", [page], {
      "PATCH /api/channels/ch-page": (request) =>
        jsonResponse(200, { ...page, ...(request.body as Partial<Channel>) }),
    });
    renderApp("/channels");

    await userEvent.click(await toggle("ch-page"));

    await waitFor(async () => expect(await toggle("ch-page")).toHaveAttribute("aria-checked", "true"));
    expect(api.find("PATCH", "/api/channels/ch-page").map((r) => r.body)).toEqual([{ send_read_receipts: true }]);
  });

  it("turns them off again", async () => {
    const api = signIn("owner", [number], {
      "PATCH /api/channels/ch-wa": (request) => jsonResponse(200, { ...number, ...(request.body as Partial<Channel>) }),
    });
    renderApp("/channels");

    await userEvent.click(await toggle("ch-wa"));

    await waitFor(async () => expect(await toggle("ch-wa")).toHaveAttribute("aria-checked", "false"));
    expect(api.find("PATCH", "/api/channels/ch-wa")[0]?.body).toEqual({ send_read_receipts: false });
  });

  it("keeps the old state and says why when the API refuses", async () => {
    signIn("owner", [page], {
      "PATCH /api/channels/ch-page": () =>
        jsonResponse(403, { error: "forbidden", detail: "Only owners and admins can do this." }),
    });
    renderApp("/channels");

    await userEvent.click(await toggle("ch-page"));

    expect(await screen.findByTestId("channel-read-receipts-error")).toHaveTextContent(
      "Only owners and admins can do this.",
    );
    expect(await toggle("ch-page")).toHaveAttribute("aria-checked", "false");
  });

  it("is not offered to agents", async () => {
    signIn("agent", [page, number]);
    renderApp("/channels");
    await screen.findAllByTestId("channel-card");
    await waitFor(() => expect(screen.getByTestId("user-menu")).toHaveTextContent("agent@acme.test"));
    expect(screen.queryByRole("switch")).not.toBeInTheDocument();
  });

  it("is not offered on a disconnected channel", async () => {
    signIn("owner", [gone, page]);
    renderApp("/channels");
    expect(await toggle("ch-page")).toBeInTheDocument(); // the owner's controls are there...
    expect(within(await card("ch-gone")).queryByRole("switch")).not.toBeInTheDocument(); // ...not here
  });
});
