import { QueryClientProvider } from "@tanstack/react-query";
import { act, renderHook, waitFor } from "@testing-library/react";
import type { ReactNode } from "react";
import { describe, expect, it, vi } from "vitest";

import { setTokens } from "@/lib/auth";
import type { Conversation } from "@/lib/api/types";
import type { ConversationListData } from "@/lib/inbox-cache";
import { conversationKeys, DEFAULT_CONVERSATION_FILTERS, labelKeys } from "@/lib/query-keys";
import { stubApi } from "@/testing/api-stub";
import { buildConversation, jsonResponse } from "@/testing/fixtures";
import { createTestQueryClient } from "@/testing/render";

import { useUpdateConversation, withChanges } from "./update-conversation";

const open = DEFAULT_CONVERSATION_FILTERS;
const resolved = { ...DEFAULT_CONVERSATION_FILTERS, status: "resolved" as const };

function setup() {
  setTokens({ accessToken: "a", refreshToken: "r" });
  const queryClient = createTestQueryClient();
  const a = buildConversation({ id: "a", last_message_at: "2026-11-20T11:00:00Z" });
  const b = buildConversation({ id: "b", last_message_at: "2026-11-20T10:00:00Z" });
  queryClient.setQueryData<ConversationListData>(conversationKeys.list(open), {
    pages: [{ items: [a, b], next_cursor: null }],
    pageParams: [null],
  });
  queryClient.setQueryData<ConversationListData>(conversationKeys.list(resolved), {
    pages: [{ items: [], next_cursor: null }],
    pageParams: [null],
  });
  queryClient.setQueryData(conversationKeys.detail("b"), b);
  const wrapper = ({ children }: { children: ReactNode }) => (
    <QueryClientProvider client={queryClient}>{children}</QueryClientProvider>
  );
  const { result } = renderHook(() => useUpdateConversation(), { wrapper });
  const ids = (filters: typeof open) =>
    queryClient.getQueryData<ConversationListData>(conversationKeys.list(filters))?.pages.flatMap((p) => p.items.map((c) => c.id));
  return { queryClient, result, a, b, ids };
}

describe("useUpdateConversation", () => {
  it("resolves at once everywhere, sends the PATCH and keeps the server's answer", async () => {
    let answer: (value: Response) => void = () => {};
    const api = stubApi({
      "PATCH /api/inbox/conversations/b": () => new Promise<Response>((resolve) => (answer = resolve)),
    });
    const { queryClient, result, b, ids } = setup();

    act(() => result.current.mutate({ conversationId: "b", changes: { status: "resolved" } }));

    await waitFor(() => expect(ids(open)).toEqual(["a"]));
    expect(ids(resolved)).toEqual(["b"]);
    expect(queryClient.getQueryData<Conversation>(conversationKeys.detail("b"))?.status).toBe("resolved");
    await waitFor(() => expect(api.find("PATCH", "/api/inbox/conversations/b")).toHaveLength(1));
    expect(api.find("PATCH", "/api/inbox/conversations/b")[0]?.body).toEqual({ status: "resolved" });

    const invalidate = vi.spyOn(queryClient, "invalidateQueries");
    answer(jsonResponse(200, { ...b, status: "resolved", unread_count: 0 }));
    await waitFor(() => expect(result.current.isSuccess).toBe(true));
    await waitFor(() => expect(invalidate).toHaveBeenCalledWith({ queryKey: conversationKeys.counts() }));
  });

  it("puts everything back when the server refuses", async () => {
    stubApi({
      "PATCH /api/inbox/conversations/b": () =>
        jsonResponse(422, { error: "invalid_assignee", detail: "assignee_id: this teammate is a viewer." }),
    });
    const { queryClient, result, b, ids } = setup();

    act(() => result.current.mutate({ conversationId: "b", changes: { status: "resolved" } }));

    await waitFor(() => expect(result.current.isError).toBe(true));
    expect(ids(open)).toEqual(["a", "b"]);
    expect(ids(resolved)).toEqual([]);
    expect(queryClient.getQueryData<Conversation>(conversationKeys.detail("b"))?.status).toBe(b.status);
    expect(result.current.error?.message).toContain("viewer");
  });

  it("refreshes the label list after a label change", async () => {
    const b = buildConversation({ id: "b" });
    stubApi({ "PATCH /api/inbox/conversations/b": () => jsonResponse(200, { ...b, labels: ["vip"] }) });
    const { queryClient, result } = setup();
    const invalidate = vi.spyOn(queryClient, "invalidateQueries");

    act(() => result.current.mutate({ conversationId: "b", changes: { labels: ["VIP"] } }));

    await waitFor(() => expect(result.current.isSuccess).toBe(true));
    expect(invalidate).toHaveBeenCalledWith({ queryKey: labelKeys.all });
  });
});

describe("withChanges", () => {
  const base = buildConversation({ status: "snoozed", snoozed_until: "2026-11-21T09:00:00Z", assignee_id: "u1" });

  it("forgets the snooze time when leaving snoozed, as the server does", () => {
    expect(withChanges(base, { status: "open" })).toMatchObject({ status: "open", snoozed_until: null });
    expect(withChanges(base, { status: "snoozed", snoozed_until: "2026-11-22T09:00:00Z" }).snoozed_until).toBe(
      "2026-11-22T09:00:00Z",
    );
  });

  it("unassigns with null and leaves what is not given", () => {
    expect(withChanges(base, { assignee_id: null })).toMatchObject({ assignee_id: null, status: "snoozed" });
    expect(withChanges(base, { labels: ["a"] })).toMatchObject({ assignee_id: "u1", labels: ["a"] });
  });
});
