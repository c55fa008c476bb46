import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";

import type { Role } from "@/lib/api/types";
import { setTokens } from "@/lib/auth";
import type * as RealtimeModule from "@/lib/realtime";
import { stubApi, type StubHandler } from "@/testing/api-stub";
import { stubLayoutApis } from "@/testing/dom-stubs";
import { buildConversation, buildMe, buildMessage, jsonResponse } from "@/testing/fixtures";
import { renderApp } from "@/testing/render-app";

vi.mock("@/lib/realtime", async (importOriginal) => ({
  ...(await importOriginal<typeof RealtimeModule>()),
  useRealtimeConnection: () => "connected",
}));

const ada = buildConversation({
  id: "c1",
  contact: { id: "k1", name: "Ada Lovelace", external_id: "psid-1", avatar_url: null },
  last_message_at: "2026-11-20T10:00:00Z",
});
const grace = buildConversation({ id: "c2", last_message_at: "2026-11-19T10:00:00Z" });

function signIn(role: Role, extra: Record<string, StubHandler> = {}) {
  setTokens({ accessToken: "a", refreshToken: "r" });
  let listed = [ada, grace];
  return stubApi({
    "GET /api/auth/me": () => jsonResponse(200, buildMe(role)),
    "GET /api/inbox/conversations": () => jsonResponse(200, { items: listed, next_cursor: null }),
    "GET /api/inbox/conversations/c1": () => jsonResponse(200, ada),
    "GET /api/inbox/conversations/c1/messages": () =>
      jsonResponse(200, { items: [buildMessage({ conversation_id: "c1", text: "Hello" })], next_cursor: null }),
    "DELETE /api/inbox/conversations/c1": () => {
      listed = listed.filter((c) => c.id !== "c1");
      return jsonResponse(200, { ...ada, deleted_at: "2026-11-21T10:00:00Z", purge_at: "2026-12-21T10:00:00Z" });
    },
    ...extra,
  });
}

async function openMoreMenu() {
  await userEvent.click(await screen.findByTestId("thread-more"));
  return screen.findByRole("menu");
}

beforeEach(() => stubLayoutApis());

describe("deleting a conversation from its header", () => {
  it("asks first, then moves it to the trash and goes back to the list", async () => {
    const api = signIn("admin");
    const { router } = renderApp("/inbox/c1?status=open");
    await screen.findByTestId("thread-header");

    const menu = await openMoreMenu();
    await userEvent.click(within(menu).getByTestId("delete-conversation"));
    const dialog = await screen.findByTestId("delete-conversation-dialog");
    expect(dialog).toHaveTextContent("Delete the conversation with Ada Lovelace?");
    expect(dialog).toHaveTextContent("30 days");
    expect(api.find("DELETE", "/api/inbox/conversations/c1")).toHaveLength(0);

    await userEvent.click(within(dialog).getByTestId("delete-conversation-confirm"));

    await waitFor(() => expect(api.find("DELETE", "/api/inbox/conversations/c1")).toHaveLength(1));
    await waitFor(() => expect(router.state.location.pathname).toBe("/inbox"));
    await waitFor(() =>
      expect(screen.getAllByTestId("conversation-item").map((i) => i.getAttribute("data-conversation-id"))).toEqual(["c2"]),
    );
    expect(screen.queryByTestId("delete-conversation-dialog")).toBeNull();
  });

  it("says why when the server refuses, and stays", async () => {
    signIn("owner", {
      "DELETE /api/inbox/conversations/c1": () => jsonResponse(404, { error: "not_found", detail: "Conversation not found." }),
    });
    const { router } = renderApp("/inbox/c1");
    const menu = await openMoreMenu();
    await userEvent.click(within(menu).getByTestId("delete-conversation"));
    const dialog = await screen.findByTestId("delete-conversation-dialog");

    await userEvent.click(within(dialog).getByTestId("delete-conversation-confirm"));

    expect(await within(dialog).findByRole("alert")).toHaveTextContent("Conversation not found.");
    expect(router.state.location.pathname).toBe("/inbox/c1");
  });

  it("is not offered to agents", async () => {
    signIn("agent");
    renderApp("/inbox/c1");
    const menu = await openMoreMenu();
    expect(within(menu).getByTestId("mark-unread")).toBeInTheDocument();
    expect(within(menu).queryByTestId("delete-conversation")).toBeNull();
  });
});
