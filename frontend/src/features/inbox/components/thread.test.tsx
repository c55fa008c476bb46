import { act, fireEvent, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it } from "vitest";

import type { Conversation, Message } from "@/lib/api/types";
import { upsertMessage } from "@/lib/inbox-cache";
import { stubApi, type StubHandler } from "@/testing/api-stub";
import { stubLayoutApis, stubXhr } from "@/testing/dom-stubs";
import { buildConversation, buildMe, buildMessage, jsonResponse } from "@/testing/fixtures";
import { renderWithProviders } from "@/testing/render";

import { Thread } from "./thread";

const HOUR = 3_600_000;
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

const members = [
  { id: "u1", name: "Olive Owner", email: "owner@acme.test", role: "owner" },
  { id: "u2", name: "Grace Hopper", email: "grace@acme.test", role: "agent" },
  { id: "u3", name: null, email: "viewer@acme.test", role: "viewer" },
];

function conversationWith(overrides: Partial<Conversation> = {}): Conversation {
  return buildConversation({
    id: "c1",
    channel_id: "chan-1",
    channel: { id: "chan-1", kind: "whatsapp", name: "Acme WhatsApp" },
    contact: { id: "k1", name: "Ada Lovelace", external_id: "447700900001", avatar_url: null },
    last_inbound_at: ago(HOUR),
    unread_count: 2,
    ...overrides,
  });
}

const inbound = (id: string, minutesAgo = 60): Message =>
  buildMessage({ id, conversation_id: "c1", direction: "inbound", text: `Message ${id}`, external_id: `wamid.${id}`, created_at: ago(minutesAgo * 60_000) });

function renderThread(initial: Conversation = conversationWith(), handlers: Record<string, StubHandler> = {}) {
  let current = initial;
  const api = stubApi({
    "GET /api/auth/me": () => jsonResponse(200, buildMe("owner")),
    "GET /api/team/members": () => jsonResponse(200, members),
    "GET /api/inbox/labels": () => jsonResponse(200, { items: [{ name: "vip", conversations: 4 }, { name: "billing", conversations: 2 }], next_cursor: null }),
    "GET /api/inbox/conversations/c1": () => jsonResponse(200, current),
    "GET /api/inbox/conversations/c1/messages": () => jsonResponse(200, { items: [inbound("in-1")], next_cursor: null }),
    "POST /api/inbox/conversations/c1/read": () => {
      current = { ...current, unread_count: 0 };
      return jsonResponse(200, current);
    },
    "POST /api/inbox/conversations/c1/unread": () => {
      current = { ...current, unread_count: 1 };
      return jsonResponse(200, current);
    },
    "PATCH /api/inbox/conversations/c1": ({ body }) => {
      const changes = body as Partial<Conversation>;
      current = { ...current, ...changes, snoozed_until: changes.status === "snoozed" ? (changes.snoozed_until ?? null) : null };
      return jsonResponse(200, current);
    },
    ...handlers,
  });
  const view = renderWithProviders(<Thread conversationId="c1" />);
  return { ...view, api, patches: () => api.find("PATCH", "/api/inbox/conversations/c1").map((r) => r.body) };
}

async function openMenu(testId: string) {
  await userEvent.click(await screen.findByTestId(testId));
  return screen.findByRole("menu");
}

beforeEach(() => stubLayoutApis());

describe("thread header: status", () => {
  it("resolves and reopens with the primary button", async () => {
    const view = renderThread();
    await userEvent.click(await screen.findByTestId("status-primary"));
    await waitFor(() => expect(view.patches()).toEqual([{ status: "resolved" }]));
    expect(await screen.findByTestId("thread-status")).toHaveTextContent("Resolved");
    expect(screen.getByTestId("status-primary")).toHaveTextContent("Reopen");

    await userEvent.click(screen.getByTestId("status-primary"));
    await waitFor(() => expect(view.patches()).toEqual([{ status: "resolved" }, { status: "open" }]));
    await waitFor(() => expect(screen.queryByTestId("thread-status")).toBeNull());
  });

  it("marks pending and snoozes for an hour from the menu", async () => {
    const view = renderThread();
    let menu = await openMenu("status-menu");
    await userEvent.click(within(menu).getByTestId("status-pending"));
    await waitFor(() => expect(view.patches()).toEqual([{ status: "pending" }]));

    menu = await openMenu("status-menu");
    const before = Date.now();
    await userEvent.click(within(menu).getByTestId("snooze-hour"));
    await waitFor(() => expect(view.patches()).toHaveLength(2));
    const snooze = view.patches()[1] as { status: string; snoozed_until: string };
    expect(snooze.status).toBe("snoozed");
    const until = Date.parse(snooze.snoozed_until);
    expect(until - before).toBeGreaterThanOrEqual(HOUR - 1000);
    expect(until - before).toBeLessThan(HOUR + 60_000);
    expect(await screen.findByTestId("thread-status")).toHaveTextContent("Snoozed until");
  });

  it("snoozes until a picked time, refusing one in the past", async () => {
    const view = renderThread();
    const menu = await openMenu("status-menu");
    await userEvent.click(within(menu).getByTestId("snooze-custom"));
    const dialog = await screen.findByTestId("snooze-dialog");
    const input = within(dialog).getByTestId("snooze-input");

    fireEvent.change(input, { target: { value: "2020-01-01T09:00" } });
    await userEvent.click(within(dialog).getByTestId("snooze-submit"));
    expect(within(dialog).getByRole("alert")).toHaveTextContent("Choose a time in the future.");
    expect(view.patches()).toHaveLength(0);

    const next = new Date(Date.now() + 3 * 24 * HOUR);
    next.setHours(14, 30, 0, 0);
    const pad = (n: number) => String(n).padStart(2, "0");
    const value = `${next.getFullYear()}-${pad(next.getMonth() + 1)}-${pad(next.getDate())}T14:30`;
    fireEvent.change(input, { target: { value } });
    await userEvent.click(within(dialog).getByTestId("snooze-submit"));
    await waitFor(() => expect(view.patches()).toEqual([{ status: "snoozed", snoozed_until: next.toISOString() }]));
    await waitFor(() => expect(screen.queryByTestId("snooze-dialog")).toBeNull());
  });

  it("says why a change was refused and puts the conversation back", async () => {
    renderThread(conversationWith(), {
      "PATCH /api/inbox/conversations/c1": () => jsonResponse(403, { error: "forbidden", detail: "Viewers cannot change conversations." }),
    });
    await userEvent.click(await screen.findByTestId("status-primary"));
    expect(await screen.findByTestId("thread-header-error")).toHaveTextContent("Viewers cannot change conversations.");
    await waitFor(() => expect(screen.getByTestId("status-primary")).toHaveTextContent("Resolve"));
  });
});

describe("thread header: assignee and labels", () => {
  it("assigns to me, to a teammate (viewers are not offered), and unassigns", async () => {
    const view = renderThread();
    let menu = await openMenu("assignee-trigger");
    await waitFor(() => expect(within(menu).getAllByTestId("assignee-option")).toHaveLength(2));
    expect(within(menu).getAllByTestId("assignee-option").map((o) => o.dataset.memberId)).toEqual(["u1", "u2"]);
    await userEvent.click(within(menu).getByTestId("assign-me"));
    await waitFor(() => expect(view.patches()).toEqual([{ assignee_id: "u1" }]));
    await waitFor(() => expect(screen.getByTestId("assignee-trigger")).toHaveAccessibleName("Assignee: Olive Owner"));

    menu = await openMenu("assignee-trigger");
    expect(within(menu).queryByTestId("assign-me")).toBeNull();
    await userEvent.click(within(menu).getAllByTestId("assignee-option")[1] as HTMLElement);
    await waitFor(() => expect(view.patches()).toHaveLength(2));
    expect(view.patches()[1]).toEqual({ assignee_id: "u2" });

    menu = await openMenu("assignee-trigger");
    await userEvent.click(within(menu).getByTestId("unassign"));
    await waitFor(() => expect(view.patches()[2]).toEqual({ assignee_id: null }));
  });

  it("ticks labels on and off and creates new ones, as the server stores them", async () => {
    const view = renderThread(conversationWith({ labels: ["billing"] }));
    await userEvent.click(await screen.findByTestId("labels-trigger"));
    const editor = await screen.findByTestId("labels-editor");
    await waitFor(() => expect(within(editor).getAllByTestId("label-option")).toHaveLength(2));

    await userEvent.click(within(editor).getAllByTestId("label-option").find((o) => o.dataset.label === "vip") as HTMLElement);
    await waitFor(() => expect(view.patches()).toEqual([{ labels: ["billing", "vip"] }]));

    await userEvent.type(within(editor).getByRole("textbox"), "Needs  Refund");
    expect(within(editor).getByTestId("label-create")).toHaveTextContent("Create “needs-refund”");
    await userEvent.keyboard("{Enter}");
    await waitFor(() => expect(view.patches()[1]).toEqual({ labels: ["billing", "vip", "needs-refund"] }));

    await userEvent.type(within(editor).getByRole("textbox"), "bad!");
    expect(within(editor).getByRole("alert")).toHaveTextContent("Use letters, digits, '-' and '_' only.");
    expect(within(editor).queryByTestId("label-create")).toBeNull();
  });
});

describe("thread header: window", () => {
  it("counts down the open window and turns amber in its last two hours", async () => {
    renderThread(conversationWith({ last_inbound_at: ago(23 * HOUR) }));
    const badges = await screen.findAllByTestId("window-badge");
    expect(badges[0]).toHaveTextContent(/Window closes in (59m|1h)/);
    expect(badges[0]).toHaveAttribute("data-window-state", "expiring");
  });

  it("says template only for a closed WhatsApp window", async () => {
    renderThread(conversationWith({ last_inbound_at: ago(30 * HOUR) }));
    expect((await screen.findAllByTestId("window-badge"))[0]).toHaveTextContent("Closed — template only");
  });

  it("says until when HUMAN_AGENT replies are possible on Messenger", async () => {
    renderThread(conversationWith({ channel: { id: "chan-1", kind: "messenger", name: "Acme Page" }, last_inbound_at: ago(30 * HOUR) }));
    const badge = (await screen.findAllByTestId("window-badge"))[0];
    expect(badge).toHaveTextContent(/HUMAN_AGENT until \w+ \d\d:\d\d/);
    expect(badge).toHaveAttribute("data-window-state", "human_agent");
  });
});

describe("mark as unread", () => {
  it("stays unread while the thread is open, until a new message arrives", async () => {
    const view = renderThread();
    await waitFor(() => expect(view.api.find("POST", "/api/inbox/conversations/c1/read")).toHaveLength(1));

    const menu = await openMenu("thread-more");
    await userEvent.click(within(menu).getByTestId("mark-unread"));
    await waitFor(() => expect(view.api.find("POST", "/api/inbox/conversations/c1/unread")).toHaveLength(1));

    // Nothing marks it read again on its own (a re-render, the tab coming back)...
    act(() => document.dispatchEvent(new Event("visibilitychange")));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(view.api.find("POST", "/api/inbox/conversations/c1/read")).toHaveLength(1);

    // ...until the customer writes again.
    act(() => upsertMessage(view.queryClient, inbound("in-2", 0)));
    await waitFor(() => expect(view.api.find("POST", "/api/inbox/conversations/c1/read")).toHaveLength(2));
  });

  it("is in the phone's single actions menu too, with the other actions", async () => {
    const view = renderThread();
    const menu = await openMenu("thread-actions-mobile");
    expect(within(menu).getByTestId("status-primary-mobile")).toHaveTextContent("Resolve");
    expect(within(menu).getByText("Assign…")).toBeInTheDocument();
    expect(within(menu).getByText("Labels…")).toBeInTheDocument();
    await userEvent.click(within(menu).getByText("Mark as unread"));
    await waitFor(() => expect(view.api.find("POST", "/api/inbox/conversations/c1/unread")).toHaveLength(1));
    expect(screen.getByTestId("thread-back")).toHaveAttribute("href", "/inbox");
  });
});

describe("dropping files on the thread", () => {
  it("shows a drop overlay and attaches the dropped files in the composer", async () => {
    const xhr = stubXhr();
    const view = renderThread(conversationWith(), {
      "POST /api/storage/uploads": () =>
        jsonResponse(201, { upload_id: "up-1", url: "https://storage.example.test/u", method: "PUT", headers: {}, expires_at: ago(-60_000), max_size: 1 }),
    });
    const thread = await screen.findByTestId("thread");
    const file = new File(["%PDF-1.4"], "invoice.pdf", { type: "application/pdf" });
    const dataTransfer = { types: ["Files"], files: [file], dropEffect: "none" };

    fireEvent.dragEnter(thread, { dataTransfer });
    expect(screen.getByTestId("drop-overlay")).toHaveTextContent("Drop files to attach them");
    fireEvent.drop(thread, { dataTransfer });

    expect(screen.queryByTestId("drop-overlay")).toBeNull();
    expect(await screen.findByTestId("composer-attachment")).toHaveTextContent("invoice.pdf");
    await waitFor(() => expect(xhr.instances).toHaveLength(1));
    expect(view.api.find("POST", "/api/storage/uploads")[0]?.body).toEqual({ filename: "invoice.pdf", content_type: "application/pdf", size: 8 });
  });
});

describe("read-only viewers", () => {
  it("see the conversation without header actions", async () => {
    renderThread(conversationWith(), { "GET /api/auth/me": () => jsonResponse(200, buildMe("viewer")) });
    expect(await screen.findByTestId("composer-read-only")).toBeInTheDocument();
    expect(screen.queryByTestId("status-primary")).toBeNull();
    expect(screen.queryByTestId("thread-actions-mobile")).toBeNull();
    expect(screen.getAllByTestId("window-badge")[0]).toBeInTheDocument();
  });

  it("are offered no change at all: no actions, replies, uploads, nor marking read", async () => {
    const view = renderThread(conversationWith(), { "GET /api/auth/me": () => jsonResponse(200, buildMe("viewer")) });
    expect(await screen.findByTestId("composer-read-only")).toHaveTextContent("You have view-only access");
    expect(await screen.findByText("Message in-1")).toBeInTheDocument();
    for (const testId of [
      "status-primary",
      "status-menu",
      "labels-trigger",
      "assignee-trigger",
      "thread-more",
      "thread-actions-mobile",
      "composer",
      "composer-input",
      "message-actions",
      "message-reply",
    ]) {
      expect(screen.queryByTestId(testId)).toBeNull();
    }

    const file = new File(["%PDF-1.4"], "invoice.pdf", { type: "application/pdf" });
    fireEvent.dragEnter(screen.getByTestId("thread"), { dataTransfer: { types: ["Files"], files: [file], dropEffect: "none" } });
    expect(screen.queryByTestId("drop-overlay")).toBeNull();

    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(view.api.requests.filter((r) => r.method !== "GET")).toEqual([]);
  });

  it("unlike an agent, who gets the header actions and the composer and marks the conversation read", async () => {
    const view = renderThread(conversationWith(), { "GET /api/auth/me": () => jsonResponse(200, buildMe("agent")) });
    expect(await screen.findByTestId("status-primary")).toBeInTheDocument();
    for (const testId of ["status-menu", "labels-trigger", "assignee-trigger", "thread-more", "thread-actions-mobile"]) {
      expect(screen.getByTestId(testId)).toBeInTheDocument();
    }
    expect(screen.getByTestId("composer-input")).toBeInTheDocument();
    expect(screen.queryByTestId("composer-read-only")).toBeNull();
    await waitFor(() => expect(view.api.find("POST", "/api/inbox/conversations/c1/read")).toHaveLength(1));
  });
});
