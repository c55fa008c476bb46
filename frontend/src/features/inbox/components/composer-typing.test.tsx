import { fireEvent, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";

import { setTokens } from "@/lib/auth";
import type { MessageListData } from "@/lib/inbox-cache";
import { messageKeys } from "@/lib/query-keys";
import type * as RealtimeModule from "@/lib/realtime";
import type { Realtime } from "@/lib/realtime";
import { stubApi } from "@/testing/api-stub";
import { stubLayoutApis } from "@/testing/dom-stubs";
import { buildConversation, buildMe, buildMessage, jsonResponse } from "@/testing/fixtures";
import { renderWithProviders } from "@/testing/render";

import { Composer } from "./composer";

// The connection the composer reports typing to (the socket side is in realtime.test.ts).
const { typing, connection } = vi.hoisted(() => {
  const typing = vi.fn<(conversationId: string, on: boolean) => void>();
  return { typing, connection: { typing } };
});
vi.mock("@/lib/realtime", async (importOriginal) => ({
  ...(await importOriginal<typeof RealtimeModule>()),
  useActiveRealtime: () => connection as unknown as Realtime,
}));

const conversation = buildConversation({ id: "c1", last_inbound_at: new Date().toISOString() });

function renderComposer(role: "agent" | "viewer" = "agent") {
  stubApi({
    "GET /api/auth/me": () => jsonResponse(200, buildMe(role)),
    "POST /api/inbox/conversations/c1/messages": () =>
      jsonResponse(201, buildMessage({ id: "m1", conversation_id: "c1", direction: "outbound", status: "queued", text: "Hi" })),
  });
  const view = renderWithProviders(<Composer conversation={conversation} />);
  view.queryClient.setQueryData<MessageListData>(messageKeys.list("c1"), { pages: [{ items: [], next_cursor: null }], pageParams: [null] });
  return view;
}

beforeEach(() => {
  typing.mockReset();
  stubLayoutApis();
  setTokens({ accessToken: "a", refreshToken: "r" });
});

describe("composer: typing signal", () => {
  it("says typing on the first keystroke, not on every one, and stops when the reply is sent", async () => {
    renderComposer();
    const input = await screen.findByTestId("composer-input");
    fireEvent.change(input, { target: { value: "H" } });
    fireEvent.change(input, { target: { value: "Hi" } });
    expect(typing.mock.calls).toEqual([["c1", true]]);

    await userEvent.click(screen.getByTestId("composer-send"));
    expect(typing.mock.calls).toEqual([["c1", true], ["c1", false]]);
  });

  it("stops when the input is emptied or loses focus", async () => {
    renderComposer();
    const input = await screen.findByTestId("composer-input");
    fireEvent.change(input, { target: { value: "Hel" } });
    fireEvent.change(input, { target: { value: "" } });
    expect(typing.mock.calls).toEqual([["c1", true], ["c1", false]]);

    fireEvent.change(input, { target: { value: "Hello" } });
    fireEvent.blur(input);
    expect(typing.mock.calls).toEqual([["c1", true], ["c1", false], ["c1", true], ["c1", false]]);
  });

  it("does not say typing for a private note", async () => {
    renderComposer();
    await userEvent.click(await screen.findByTestId("composer-tab-note"));
    fireEvent.change(screen.getByTestId("composer-input"), { target: { value: "VIP customer" } });
    expect(typing).not.toHaveBeenCalled();
  });

  it("a viewer has no composer, so never says typing", async () => {
    renderComposer("viewer");
    expect(await screen.findByTestId("composer-read-only")).toBeInTheDocument();
    expect(screen.queryByTestId("composer-input")).toBeNull();
    expect(typing).not.toHaveBeenCalled();
  });
});
