import { describe, expect, it } from "vitest";

import { DEFAULT_CONVERSATION_FILTERS, type ConversationFilters } from "@/lib/query-keys";

import { conversationListQuery } from "../api/get-conversations";

import {
  conversationPath,
  filtersFromSearchParams,
  normalizeLabel,
  normalizeSearch,
  searchParamsFromFilters,
} from "./inbox-filters";

const CHANNEL = "0b7c5d1e-8a3f-4c2b-9d1e-5f6a7b8c9d0e";
const USER = "3f2e1d0c-4b5a-4978-8695-a4b3c2d1e0f9";

const parse = (search: string) => filtersFromSearchParams(new URLSearchParams(search));

describe("URL ⇄ filters", () => {
  it("reads the default view from an empty query string: all folders, open", () => {
    expect(parse("")).toEqual(DEFAULT_CONVERSATION_FILTERS);
    expect(searchParamsFromFilters(DEFAULT_CONVERSATION_FILTERS).toString()).toBe("");
  });

  it("round-trips every filter", () => {
    const filters: ConversationFilters = {
      folder: "mine",
      channelId: CHANNEL,
      status: "snoozed",
      assigneeId: USER,
      label: "vip",
      unread: true,
      window: "expiring",
      q: "refund please",
    };
    const params = searchParamsFromFilters(filters);
    expect(Object.fromEntries(params)).toEqual({
      folder: "mine",
      channel: CHANNEL,
      status: "snoozed",
      assignee: USER,
      label: "vip",
      unread: "1",
      window: "expiring",
      q: "refund please",
    });
    expect(parse(params.toString())).toEqual(filters);
  });

  it("writes status=all for every status (no param means open)", () => {
    const params = searchParamsFromFilters({ ...DEFAULT_CONVERSATION_FILTERS, status: null });
    expect(params.get("status")).toBe("all");
    expect(parse("status=all").status).toBeNull();
  });

  it("drops what the API would refuse instead of showing an error page", () => {
    expect(parse("folder=everything&status=closed&window=soon&channel=12&assignee=x&label=a%20b!&q=%20%3F%3F%20")).toEqual(
      DEFAULT_CONVERSATION_FILTERS,
    );
  });

  it("normalises labels and search text the way the server does", () => {
    expect(normalizeLabel("  VIP  Customer ")).toBe("vip-customer");
    expect(normalizeLabel("x".repeat(33))).toBeNull();
    expect(normalizeSearch("  hello  ")).toBe("hello");
    expect(normalizeSearch("...")).toBeNull();
    expect(normalizeSearch("a".repeat(250))).toHaveLength(200);
  });

  it("keeps params it does not own but drops a stale message anchor", () => {
    const base = new URLSearchParams("utm=x&message=m1&folder=mine");
    const params = searchParamsFromFilters({ ...DEFAULT_CONVERSATION_FILTERS, folder: "unassigned" }, base);
    expect(params.toString()).toBe("utm=x&folder=unassigned");
  });

  it("builds conversation links that keep the view", () => {
    const filters = { ...DEFAULT_CONVERSATION_FILTERS, folder: "mine" as const, q: "refund" };
    expect(conversationPath("c1", filters)).toBe("/inbox/c1?folder=mine&q=refund");
    expect(conversationPath("c1", filters, "m9")).toBe("/inbox/c1?folder=mine&q=refund&message=m9");
    expect(conversationPath("c1", DEFAULT_CONVERSATION_FILTERS)).toBe("/inbox/c1");
  });
});

describe("filters → API query", () => {
  it("sends only what narrows the list", () => {
    expect(conversationListQuery(DEFAULT_CONVERSATION_FILTERS)).toEqual({ limit: 30, status: ["open"] });
    expect(conversationListQuery({ ...DEFAULT_CONVERSATION_FILTERS, status: null }, "cur")).toEqual({
      limit: 30,
      cursor: "cur",
    });
  });

  it("maps every filter to the API's names", () => {
    expect(
      conversationListQuery({
        folder: "unassigned",
        channelId: CHANNEL,
        status: "pending",
        assigneeId: USER,
        label: "vip",
        unread: true,
        window: "closed",
        q: "refund",
      }),
    ).toEqual({
      limit: 30,
      folder: "unassigned",
      channel_id: CHANNEL,
      status: ["pending"],
      assignee_id: USER,
      label: "vip",
      unread: true,
      window: "closed",
      q: "refund",
    });
  });
});
