import { describe, expect, it } from "vitest";

import { DEFAULT_CONVERSATION_FILTERS } from "@/lib/query-keys";
import { buildChannel, buildConversation } from "@/testing/fixtures";

import { activeView, emptyCopy, filtersForView, neighbour, phonePane, viewCount, viewTitle } from "./inbox-views";

const CHANNEL = "0b7c5d1e-8a3f-4c2b-9d1e-5f6a7b8c9d0e";

describe("folder views", () => {
  it("picks the active entry: channel, then expiring soon, then the folder", () => {
    expect(activeView(DEFAULT_CONVERSATION_FILTERS)).toBe("all");
    expect(activeView({ ...DEFAULT_CONVERSATION_FILTERS, folder: "mine" })).toBe("mine");
    expect(activeView({ ...DEFAULT_CONVERSATION_FILTERS, window: "expiring", folder: "mine" })).toBe("expiring");
    expect(activeView({ ...DEFAULT_CONVERSATION_FILTERS, window: "expiring", channelId: CHANNEL })).toBe(
      `channel:${CHANNEL}`,
    );
  });

  it("switching entries keeps status, search and refinements but not the other entries", () => {
    const from = { ...DEFAULT_CONVERSATION_FILTERS, folder: "mine" as const, status: "pending" as const, q: "hi", unread: true };
    expect(filtersForView(from, `channel:${CHANNEL}`)).toEqual({ ...from, folder: "all", channelId: CHANNEL });
    expect(filtersForView(from, "expiring")).toEqual({ ...from, folder: "all", window: "expiring" });
    const expiring = { ...from, folder: "all" as const, window: "expiring" as const };
    expect(filtersForView(expiring, "unassigned")).toEqual({ ...from, folder: "unassigned", window: null });
    // A window filter picked in the filter menu stays.
    expect(filtersForView({ ...from, window: "closed" }, "all").window).toBe("closed");
  });

  it("names and counts entries", () => {
    const channels = [buildChannel({ id: CHANNEL, name: "Acme WA" })];
    const counts = { mine: 1, unassigned: 2, all: 3, channels: [{ channel_id: CHANNEL, open: 4 }] };
    expect(viewTitle(`channel:${CHANNEL}`, channels)).toBe("Acme WA");
    expect(viewTitle("expiring", channels)).toBe("Expiring soon");
    expect(viewCount("unassigned", counts)).toBe(2);
    expect(viewCount(`channel:${CHANNEL}`, counts)).toBe(4);
    expect(viewCount("channel:other", counts)).toBe(0);
    expect(viewCount("expiring", counts)).toBeUndefined();
    expect(viewCount("all", undefined)).toBeUndefined();
  });

  it("says why a list is empty", () => {
    expect(emptyCopy(DEFAULT_CONVERSATION_FILTERS, []).title).toBe("No open conversations");
    expect(emptyCopy({ ...DEFAULT_CONVERSATION_FILTERS, q: "refund" }, []).title).toBe("No messages match “refund”");
    expect(emptyCopy({ ...DEFAULT_CONVERSATION_FILTERS, label: "vip" }, []).title).toBe(
      "No conversations match these filters",
    );
    expect(emptyCopy({ ...DEFAULT_CONVERSATION_FILTERS, folder: "mine", status: "pending" }, []).title).toBe(
      "No pending conversations assigned to you",
    );
    expect(emptyCopy({ ...DEFAULT_CONVERSATION_FILTERS, window: "expiring" }, []).title).toBe("No windows closing soon");
  });
});

describe("phone layout and list navigation", () => {
  it("shows the list until a conversation is open, then only the thread", () => {
    expect(phonePane(undefined)).toBe("list");
    expect(phonePane("c1")).toBe("thread");
  });

  it("moves to the next and previous conversation, starting at the top", () => {
    const list = ["a", "b", "c"].map((id) => buildConversation({ id }));
    expect(neighbour(list, undefined, 1)?.id).toBe("a");
    expect(neighbour(list, undefined, -1)?.id).toBe("a");
    expect(neighbour(list, "a", 1)?.id).toBe("b");
    expect(neighbour(list, "b", -1)?.id).toBe("a");
    expect(neighbour(list, "a", -1)).toBeUndefined();
    expect(neighbour(list, "c", 1)).toBeUndefined();
    // The open conversation left the list (resolved): start again at the top.
    expect(neighbour(list, "gone", 1)?.id).toBe("a");
  });
});
