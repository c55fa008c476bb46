import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";

import { setTokens } from "@/lib/auth";
import type { Conversation, Message } from "@/lib/api/types";
import type { MessageListData } from "@/lib/inbox-cache";
import { messageKeys } from "@/lib/query-keys";
import { stubApi, type StubHandler } from "@/testing/api-stub";
import { stubLayoutApis, stubXhr } from "@/testing/dom-stubs";
import { buildConversation, buildMe, buildMessage, jsonResponse } from "@/testing/fixtures";
import { renderWithProviders } from "@/testing/render";

import { Composer, type ComposerProps } from "./composer";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const SEND = "POST /api/inbox/conversations/c1/messages";

function conversation(kind: "messenger" | "whatsapp", lastInboundAgo: number | null, overrides: Partial<Conversation> = {}): Conversation {
  return buildConversation({
    id: "c1",
    channel_id: "chan-1",
    channel: { id: "chan-1", kind, name: kind === "whatsapp" ? "Acme WhatsApp" : "Acme Page" },
    contact: { id: "contact-1", name: "Ada Lovelace", external_id: "psid-1", avatar_url: null },
    last_inbound_at: lastInboundAgo === null ? null : ago(lastInboundAgo),
    ...overrides,
  });
}

const queued = (text: string | null, id = "m-out", extra: Partial<Message> = {}) =>
  buildMessage({ id, conversation_id: "c1", direction: "outbound", status: "queued", text, ...extra });

/** Answers the send endpoint in turn with the given answers (the last one repeats). */
function sendAnswers(...answers: (() => Response)[]): StubHandler {
  let calls = 0;
  return () => {
    const answer = answers[Math.min(calls, answers.length - 1)] as () => Response;
    calls += 1;
    return answer();
  };
}

function renderComposer(props: Partial<ComposerProps> & { conversation: Conversation }, handlers: Record<string, StubHandler> = {}) {
  const api = stubApi({ "GET /api/auth/me": () => jsonResponse(200, buildMe("agent")), ...handlers });
  const view = renderWithProviders(<Composer {...props} />);
  view.queryClient.setQueryData<MessageListData>(messageKeys.list("c1"), {
    pages: [{ items: [], next_cursor: null }],
    pageParams: [null],
  });
  return { ...view, api, input: () => screen.getByTestId("composer-input"), send: () => screen.getByTestId("composer-send") };
}

function threadTexts(view: ReturnType<typeof renderComposer>): (string | null)[] {
  return view.queryClient.getQueryData<MessageListData>(messageKeys.list("c1"))?.pages[0]?.items.map((m) => m.text) ?? [];
}

beforeEach(() => {
  stubLayoutApis();
});

describe("Composer: sending text", () => {
  it("is disabled while empty and sends on Enter with an Idempotency-Key", async () => {
    setTokens({ accessToken: "acc", refreshToken: "ref" });
    const view = renderComposer({ conversation: conversation("messenger", HOUR) }, { [SEND]: () => jsonResponse(202, queued("Hello there")) });

    expect(view.send()).toBeDisabled();
    await userEvent.type(view.input(), "   ");
    expect(view.send()).toBeDisabled();
    await userEvent.clear(view.input());
    await userEvent.type(view.input(), "Hello there{Enter}");

    await waitFor(() => expect(view.input()).toHaveValue(""));
    const [sent] = view.api.find("POST", "/api/inbox/conversations/c1/messages");
    expect(sent?.body).toEqual({ text: "Hello there" });
    expect(sent?.headers.get("Idempotency-Key")).toMatch(UUID);
    expect(sent?.headers.get("Authorization")).toBe("Bearer acc");
    expect(threadTexts(view)).toEqual(["Hello there"]);
  });

  it("Shift+Enter adds a new line instead of sending", async () => {
    const view = renderComposer({ conversation: conversation("messenger", HOUR) }, { [SEND]: () => jsonResponse(202, queued("x")) });
    await userEvent.type(view.input(), "line one{Shift>}{Enter}{/Shift}line two");
    expect(view.input()).toHaveValue("line one\nline two");
    expect(view.api.find("POST", "/api/inbox/conversations/c1/messages")).toHaveLength(0);
  });

  it("reuses the same Idempotency-Key when the same message is retried, and a new one for the next message", async () => {
    const view = renderComposer(
      { conversation: conversation("messenger", HOUR) },
      {
        [SEND]: sendAnswers(
          () => jsonResponse(503, { error: "unavailable", detail: "Try again in a moment." }),
          () => jsonResponse(202, queued("Are you open today?", "m1")),
          () => jsonResponse(202, queued("Thanks!", "m2")),
        ),
      },
    );
    await userEvent.type(view.input(), "Are you open today?");
    await userEvent.click(view.send());
    expect(await screen.findByTestId("composer-error")).toHaveTextContent("Try again in a moment.");
    expect(view.input()).toHaveValue("Are you open today?");

    await userEvent.click(view.send());
    await waitFor(() => expect(view.input()).toHaveValue(""));
    await userEvent.type(view.input(), "Thanks!{Enter}");
    await waitFor(() => expect(view.api.find("POST", "/api/inbox/conversations/c1/messages")).toHaveLength(3));

    const keys = view.api.find("POST", "/api/inbox/conversations/c1/messages").map((r) => r.headers.get("Idempotency-Key"));
    expect(keys[1]).toBe(keys[0]);
    expect(keys[2]).not.toBe(keys[0]);
  });

  it("uses a fresh key when the text was edited after a failure (a different message)", async () => {
    const view = renderComposer(
      { conversation: conversation("messenger", HOUR) },
      { [SEND]: sendAnswers(() => jsonResponse(500, { error: "internal", detail: "Boom" }), () => jsonResponse(202, queued("Hello!"))) },
    );
    await userEvent.type(view.input(), "Hello{Enter}");
    await screen.findByTestId("composer-error");
    await userEvent.type(view.input(), "!{Enter}");
    await waitFor(() => expect(view.api.find("POST", "/api/inbox/conversations/c1/messages")).toHaveLength(2));
    const keys = view.api.find("POST", "/api/inbox/conversations/c1/messages").map((r) => r.headers.get("Idempotency-Key"));
    expect(keys[1]).not.toBe(keys[0]);
  });

  it("says why it cannot send when the conversation's channel needs reconnecting, and sends nothing", async () => {
    const view = renderComposer({ conversation: conversation("messenger", HOUR), channel: { name: "Acme Page", status: "needs_reauth" } });
    await userEvent.type(view.input(), "Hello{Enter}");
    expect(screen.getByTestId("composer-channel-hint")).toHaveTextContent("Acme Page needs to be reconnected before replies can be sent.");
    expect(screen.getByRole("link", { name: "Go to Channels" })).toHaveAttribute("href", "/channels");
    expect(view.send()).toBeDisabled();
    expect(view.api.find("POST", "/api/inbox/conversations/c1/messages")).toHaveLength(0);
  });

  it("sends as usual through an active channel", async () => {
    const view = renderComposer({ conversation: conversation("messenger", HOUR), channel: { name: "Acme Page", status: "active" } });
    await userEvent.type(view.input(), "Hello");
    expect(screen.queryByTestId("composer-channel-hint")).toBeNull();
    expect(view.send()).toBeEnabled();
  });

  it("names a disconnected channel", () => {
    renderComposer({ conversation: conversation("messenger", HOUR), channel: { name: "Old line", status: "disconnected" } });
    expect(screen.getByTestId("composer-channel-hint")).toHaveTextContent("Old line is disconnected");
  });

  it("is read-only for a viewer", async () => {
    stubApi({ "GET /api/auth/me": () => jsonResponse(200, buildMe("viewer")) });
    renderWithProviders(<Composer conversation={conversation("messenger", HOUR)} />);
    expect(await screen.findByTestId("composer-read-only")).toHaveTextContent("You have view-only access");
    expect(screen.queryByTestId("composer-input")).toBeNull();
  });
});

describe("Composer: Meta's messaging window", () => {
  it.each([
    { kind: "messenger", since: HOUR, mode: "free" },
    { kind: "messenger", since: 27 * HOUR, mode: "human_agent" },
    { kind: "messenger", since: 8 * DAY, mode: "blocked" },
    { kind: "messenger", since: null, mode: "blocked" },
    { kind: "whatsapp", since: HOUR, mode: "free" },
    { kind: "whatsapp", since: 25 * HOUR, mode: "template" },
    { kind: "whatsapp", since: null, mode: "template" },
  ] as const)("$kind, customer last wrote $since ms ago: $mode", ({ kind, since, mode }) => {
    renderComposer({ conversation: conversation(kind, since) });
    expect(screen.getByTestId("composer")).toHaveAttribute("data-mode", mode);
    const input = screen.getByTestId("composer-input");
    if (mode === "free" || mode === "human_agent") expect(input).toBeEnabled();
    else expect(input).toBeDisabled();
    if (mode === "free") expect(screen.queryByTestId("composer-mode-banner")).toBeNull();
    else expect(screen.getByTestId("composer-mode-banner")).toHaveAttribute("data-mode", mode);
  });

  it("past 24 hours on Messenger explains HUMAN_AGENT and sends with the tag", async () => {
    const view = renderComposer({ conversation: conversation("messenger", 27 * HOUR) }, { [SEND]: () => jsonResponse(202, queued("Sorry for the wait", "m1", { tag: "HUMAN_AGENT" })) });
    const banner = screen.getByTestId("composer-mode-banner");
    expect(banner).toHaveTextContent("The 24-hour window closed 3h ago.");
    expect(banner).toHaveTextContent(/You can still reply as a person with Meta's HUMAN_AGENT tag until \w+ \d\d:\d\d( [AP]M)?\./);

    await userEvent.type(view.input(), "Sorry for the wait{Enter}");
    await waitFor(() => expect(view.api.find("POST", "/api/inbox/conversations/c1/messages")).toHaveLength(1));
    expect(view.api.find("POST", "/api/inbox/conversations/c1/messages")[0]?.body).toEqual({ text: "Sorry for the wait", tag: "HUMAN_AGENT" });
  });

  it("past 7 days on Messenger says no reply is possible until the customer writes; notes still work", async () => {
    const view = renderComposer({ conversation: conversation("messenger", 8 * DAY) });
    expect(screen.getByTestId("composer-mode-banner")).toHaveTextContent("Over 7 days since the customer last wrote");
    expect(view.send()).toBeDisabled();
    expect(screen.getByTestId("composer-attach")).toBeDisabled();

    await userEvent.click(screen.getByTestId("composer-tab-note"));
    expect(view.input()).toBeEnabled();
    expect(screen.queryByTestId("composer-mode-banner")).toBeNull();
  });

  it("past 24 hours on WhatsApp offers the template picker instead of free text", async () => {
    const view = renderComposer(
      { conversation: conversation("whatsapp", 25 * HOUR) },
      { "GET /api/templates": () => jsonResponse(200, { items: [], next_cursor: null }) },
    );
    expect(screen.getByTestId("composer-mode-banner")).toHaveTextContent("WhatsApp only allows approved templates");
    expect(view.input()).toHaveAttribute("placeholder", expect.stringContaining("choose a template"));

    await userEvent.click(screen.getByTestId("composer-choose-template"));
    expect(await screen.findByTestId("template-picker")).toBeInTheDocument();
    await screen.findByTestId("template-list-empty");
    const [listed] = view.api.find("GET", "/api/templates");
    expect(listed?.query.get("channel_id")).toBe("chan-1");
    expect(listed?.query.get("status")).toBe("APPROVED");
  });

  it("switches to templates when the server says the window closed meanwhile, showing its reason", async () => {
    const detail = "Over 24 hours since the customer wrote: WhatsApp allows only approved templates.";
    const view = renderComposer(
      { conversation: conversation("whatsapp", HOUR) },
      { [SEND]: () => jsonResponse(409, { error: "template_required", detail }) },
    );
    expect(screen.getByTestId("composer")).toHaveAttribute("data-mode", "free");

    await userEvent.type(view.input(), "Still there?{Enter}");

    const banner = await screen.findByTestId("composer-mode-banner");
    expect(banner).toHaveAttribute("data-mode", "template");
    expect(banner).toHaveTextContent(detail);
    expect(screen.getByTestId("composer-choose-template")).toBeInTheDocument();
    expect(view.input()).toBeDisabled();
    expect(view.input()).toHaveValue("Still there?");
  });

  it("switches Messenger to no-reply when the server says the 7 days are over", async () => {
    const detail = "Over 7 days since the customer last wrote: Messenger allows no reply until they write again.";
    const view = renderComposer(
      { conversation: conversation("messenger", 27 * HOUR) },
      { [SEND]: () => jsonResponse(409, { error: "human_agent_window_expired", detail }) },
    );
    await userEvent.type(view.input(), "Hello?{Enter}");
    const banner = await screen.findByTestId("composer-mode-banner");
    expect(banner).toHaveAttribute("data-mode", "blocked");
    expect(banner).toHaveTextContent(detail);
    expect(view.send()).toBeDisabled();
  });

  it("still shows the reason of a refusal that is not about the window", async () => {
    const view = renderComposer(
      { conversation: conversation("messenger", HOUR) },
      { [SEND]: () => jsonResponse(409, { error: "channel_inactive", detail: "The channel is needs reauth; reconnect it to send." }) },
    );
    await userEvent.type(view.input(), "Hi{Enter}");
    expect(await screen.findByTestId("composer-error")).toHaveTextContent("reconnect it to send");
    expect(screen.getByTestId("composer")).toHaveAttribute("data-mode", "free");
  });
});

describe("Composer: private notes", () => {
  it("adds a note (never sent to Meta) without an Idempotency-Key, and it lands in the thread", async () => {
    const note = buildMessage({ id: "n1", conversation_id: "c1", direction: "note", type: "note", text: "Customer is a VIP" });
    const view = renderComposer({ conversation: conversation("messenger", HOUR) }, { "POST /api/inbox/conversations/c1/notes": () => jsonResponse(201, note) });

    await userEvent.click(screen.getByTestId("composer-tab-note"));
    expect(screen.getByTestId("composer")).toHaveAttribute("data-mode", "note");
    expect(view.send()).toHaveTextContent("Add note");
    expect(screen.queryByTestId("composer-attach")).toBeNull();
    await userEvent.type(view.input(), "Customer is a VIP{Enter}");

    await waitFor(() => expect(view.input()).toHaveValue(""));
    const [sent] = view.api.find("POST", "/api/inbox/conversations/c1/notes");
    expect(sent?.body).toEqual({ text: "Customer is a VIP" });
    expect(sent?.headers.get("Idempotency-Key")).toBeNull();
    expect(view.api.find("POST", "/api/inbox/conversations/c1/messages")).toHaveLength(0);
    expect(threadTexts(view)).toEqual(["Customer is a VIP"]);
  });

  it("shows why a note was refused and keeps its text", async () => {
    renderComposer(
      { conversation: conversation("messenger", HOUR) },
      { "POST /api/inbox/conversations/c1/notes": () => jsonResponse(422, { error: "validation_error", detail: "text: must not be blank" }) },
    );
    await userEvent.click(screen.getByTestId("composer-tab-note"));
    await userEvent.type(screen.getByTestId("composer-input"), "x{Enter}");
    expect(await screen.findByTestId("composer-error")).toHaveTextContent("text: must not be blank");
    expect(screen.getByTestId("composer-input")).toHaveValue("x");
  });
});

describe("Composer: saved replies", () => {
  const replies = [
    { id: "r1", shortcut: "thanks", title: "Thank you", text: "Thank you for your message!", created_by_user_id: null, created_at: "2026-11-20T10:00:00Z", updated_at: "2026-11-20T10:00:00Z" },
    { id: "r2", shortcut: "thanks-late", title: "Sorry for the wait", text: "Thanks for waiting, and sorry it took so long.", created_by_user_id: null, created_at: "2026-11-20T10:00:00Z", updated_at: "2026-11-20T10:00:00Z" },
  ];

  it("suggests saved replies for /prefix; arrows move, Enter inserts the text instead of sending", async () => {
    const view = renderComposer(
      { conversation: conversation("messenger", HOUR) },
      {
        "GET /api/inbox/saved-replies": ({ query }) =>
          jsonResponse(200, { items: replies.filter((r) => r.shortcut.startsWith(query.get("q") ?? "")), next_cursor: null }),
      },
    );
    await userEvent.type(view.input(), "Hello! /tha");

    const list = await screen.findByTestId("saved-reply-suggestions");
    await waitFor(() => expect(within(list).getAllByTestId("saved-reply-option")).toHaveLength(2));
    expect(view.api.find("GET", "/api/inbox/saved-replies").at(-1)?.query.get("q")).toBe("tha");
    const options = within(list).getAllByRole("option");
    expect(options[0]).toHaveAttribute("aria-selected", "true");

    await userEvent.keyboard("{ArrowDown}");
    expect(within(list).getAllByRole("option")[1]).toHaveAttribute("aria-selected", "true");
    expect(view.input()).toHaveAttribute("aria-activedescendant", within(list).getAllByRole("option")[1]?.id);
    await userEvent.keyboard("{Enter}");

    expect(view.input()).toHaveValue("Hello! Thanks for waiting, and sorry it took so long.");
    expect(screen.queryByTestId("saved-reply-suggestions")).toBeNull();
    expect(view.api.find("POST", "/api/inbox/conversations/c1/messages")).toHaveLength(0);
  });

  it("closes on Escape and only opens for a / at the start of a word", async () => {
    const view = renderComposer(
      { conversation: conversation("messenger", HOUR) },
      { "GET /api/inbox/saved-replies": () => jsonResponse(200, { items: replies, next_cursor: null }) },
    );
    await userEvent.type(view.input(), "and/or");
    expect(screen.queryByTestId("saved-reply-suggestions")).toBeNull();
    expect(view.api.find("GET", "/api/inbox/saved-replies")).toHaveLength(0);

    await userEvent.type(view.input(), " /");
    await screen.findByTestId("saved-reply-suggestions");
    await userEvent.keyboard("{Escape}");
    expect(screen.queryByTestId("saved-reply-suggestions")).toBeNull();
    expect(view.input()).toHaveValue("and/or /");
  });
  it("says so when the team has no saved replies yet, and a longer /prefix with no match stays closed", async () => {
    const view = renderComposer(
      { conversation: conversation("messenger", HOUR) },
      { "GET /api/inbox/saved-replies": () => jsonResponse(200, { items: [], next_cursor: null }) },
    );
    await userEvent.type(view.input(), "/");
    const list = await screen.findByTestId("saved-reply-suggestions");
    expect(await within(list).findByTestId("saved-reply-empty")).toHaveTextContent("no saved replies yet");

    await userEvent.type(view.input(), "xyz");
    await waitFor(() => expect(screen.queryByTestId("saved-reply-suggestions")).toBeNull());
  });
});

describe("Composer: replying to a message", () => {
  it("shows the quoted message above the input and sends it as reply_to_message_id", async () => {
    const original = buildMessage({ id: "in-1", conversation_id: "c1", direction: "inbound", text: "Is my order shipped?", external_id: "wamid.1" });
    const onCancelReply = vi.fn();
    const view = renderComposer(
      { conversation: conversation("whatsapp", HOUR), replyTo: original, onCancelReply },
      { [SEND]: () => jsonResponse(202, queued("Yes, today", "m1")) },
    );
    const chip = screen.getByTestId("composer-reply-chip");
    expect(chip).toHaveTextContent("Replying to Ada Lovelace");
    expect(chip).toHaveTextContent("Is my order shipped?");

    await userEvent.type(view.input(), "Yes, today{Enter}");
    await waitFor(() => expect(onCancelReply).toHaveBeenCalled());
    expect(view.api.find("POST", "/api/inbox/conversations/c1/messages")[0]?.body).toEqual({ text: "Yes, today", reply_to_message_id: "in-1" });
  });

  it("cancels the quote with its × button", async () => {
    const onCancelReply = vi.fn();
    renderComposer({
      conversation: conversation("whatsapp", HOUR),
      replyTo: buildMessage({ id: "in-1", conversation_id: "c1", text: "Hi" }),
      onCancelReply,
    });
    await userEvent.click(screen.getByTestId("composer-reply-cancel"));
    expect(onCancelReply).toHaveBeenCalledOnce();
  });
});

describe("Composer: attachments", () => {
  const ticket = (id: string) => ({
    upload_id: id,
    url: `https://storage.example.test/uploads/${id}?sig=1`,
    method: "PUT",
    headers: { "Content-Type": "image/jpeg" },
    expires_at: new Date(Date.now() + 15 * 60_000).toISOString(),
    max_size: 25_000_000,
  });
  const photo = () => new File([new Uint8Array(2_000)], "photo.jpg", { type: "image/jpeg" });

  it("uploads a chosen file with a progress bar, then sends it with the caption (WhatsApp image)", async () => {
    const xhr = stubXhr();
    const view = renderComposer(
      { conversation: conversation("whatsapp", HOUR) },
      {
        "POST /api/storage/uploads": () => jsonResponse(201, ticket("up-1")),
        [SEND]: () => jsonResponse(202, queued("Here it is", "m1", { type: "image" })),
      },
    );
    await userEvent.upload(screen.getByTestId("composer-file-input"), photo());

    await waitFor(() => expect(xhr.instances).toHaveLength(1));
    expect(view.api.find("POST", "/api/storage/uploads")[0]?.body).toEqual({ filename: "photo.jpg", content_type: "image/jpeg", size: 2000 });
    const put = xhr.instances[0];
    expect(put?.method).toBe("PUT");
    expect(put?.url).toBe("https://storage.example.test/uploads/up-1?sig=1");
    expect(put?.headers).toEqual({ "Content-Type": "image/jpeg" });

    act(() => put?.progress(1_000, 2_000));
    const row = screen.getByTestId("composer-attachment");
    expect(row).toHaveAttribute("data-state", "uploading");
    expect(row).toHaveTextContent("50%");
    expect(within(row).getByRole("progressbar")).toHaveAttribute("aria-valuenow", "50");
    await userEvent.type(view.input(), "Here it is");
    expect(view.send()).toBeDisabled();

    act(() => put?.respond(200));
    await waitFor(() => expect(screen.getByTestId("composer-attachment")).toHaveAttribute("data-state", "ready"));
    await userEvent.click(view.send());

    await waitFor(() => expect(screen.queryByTestId("composer-attachment")).toBeNull());
    const sends = view.api.find("POST", "/api/inbox/conversations/c1/messages");
    expect(sends.map((s) => s.body)).toEqual([{ attachment: { upload_id: "up-1" }, text: "Here it is" }]);
    expect(view.input()).toHaveValue("");
  });

  it("sends the caption as its own message after a Messenger attachment", async () => {
    const xhr = stubXhr();
    let n = 0;
    const view = renderComposer(
      { conversation: conversation("messenger", HOUR) },
      {
        "POST /api/storage/uploads": () => jsonResponse(201, ticket("up-1")),
        [SEND]: () => {
          n += 1;
          return jsonResponse(202, queued(n === 1 ? null : "Look", `m${n}`));
        },
      },
    );
    await userEvent.upload(screen.getByTestId("composer-file-input"), photo());
    await waitFor(() => expect(xhr.instances).toHaveLength(1));
    act(() => xhr.instances[0]?.respond(200));
    await waitFor(() => expect(screen.getByTestId("composer-attachment")).toHaveAttribute("data-state", "ready"));
    await userEvent.type(view.input(), "Look{Enter}");

    await waitFor(() => expect(view.api.find("POST", "/api/inbox/conversations/c1/messages")).toHaveLength(2));
    const sends = view.api.find("POST", "/api/inbox/conversations/c1/messages");
    expect(sends.map((s) => s.body)).toEqual([{ attachment: { upload_id: "up-1" } }, { text: "Look" }]);
    expect(sends[0]?.headers.get("Idempotency-Key")).not.toBe(sends[1]?.headers.get("Idempotency-Key"));
  });

  it("falls back to a separate text when the server says the file takes no caption", async () => {
    const xhr = stubXhr();
    const view = renderComposer(
      { conversation: conversation("whatsapp", HOUR) },
      {
        "POST /api/storage/uploads": () => jsonResponse(201, ticket("up-1")),
        [SEND]: ({ body }) => {
          const b = body as { text?: string; attachment?: unknown };
          if (b.attachment !== undefined && b.text !== undefined) {
            return jsonResponse(422, { error: "caption_not_supported", detail: "WhatsApp audio carries no caption." });
          }
          return jsonResponse(202, queued(b.text ?? null, b.attachment !== undefined ? "m-file" : "m-text"));
        },
      },
    );
    await userEvent.upload(screen.getByTestId("composer-file-input"), photo());
    await waitFor(() => expect(xhr.instances).toHaveLength(1));
    act(() => xhr.instances[0]?.respond(200));
    await waitFor(() => expect(screen.getByTestId("composer-attachment")).toHaveAttribute("data-state", "ready"));
    await userEvent.type(view.input(), "Caption{Enter}");

    await waitFor(() => expect(view.api.find("POST", "/api/inbox/conversations/c1/messages")).toHaveLength(3));
    expect(view.api.find("POST", "/api/inbox/conversations/c1/messages").map((s) => s.body)).toEqual([
      { attachment: { upload_id: "up-1" }, text: "Caption" },
      { attachment: { upload_id: "up-1" } },
      { text: "Caption" },
    ]);
    await waitFor(() => expect(view.input()).toHaveValue(""));
    expect(screen.queryByTestId("composer-error")).toBeNull();
  });

  it("cancels an upload in progress", async () => {
    const xhr = stubXhr();
    renderComposer({ conversation: conversation("whatsapp", HOUR) }, { "POST /api/storage/uploads": () => jsonResponse(201, ticket("up-1")) });
    await userEvent.upload(screen.getByTestId("composer-file-input"), photo());
    await waitFor(() => expect(xhr.instances).toHaveLength(1));

    await userEvent.click(screen.getByRole("button", { name: "Cancel upload of photo.jpg" }));

    expect(xhr.instances[0]?.aborted).toBe(true);
    expect(screen.queryByTestId("composer-attachment")).toBeNull();
  });

  it("refuses a file the channel does not take before uploading it, and shows the server's reason for others", async () => {
    const xhr = stubXhr();
    const view = renderComposer(
      { conversation: conversation("whatsapp", HOUR) },
      {
        "POST /api/storage/uploads": () =>
          jsonResponse(422, { error: "upload_too_large", detail: "A PDF document is at most 100 MB." }),
      },
    );
    await userEvent.upload(screen.getByTestId("composer-file-input"), [
      new File(["x"], "setup.exe", { type: "application/x-msdownload" }),
      new File(["%PDF"], "invoice.pdf", { type: "application/pdf" }),
    ]);

    const rows = await screen.findAllByTestId("composer-attachment");
    expect(rows[0]).toHaveAttribute("data-state", "failed");
    expect(rows[0]).toHaveTextContent("WhatsApp does not accept a file of this type (setup.exe)");
    await waitFor(() => expect(screen.getAllByTestId("composer-attachment")[1]).toHaveAttribute("data-state", "failed"));
    expect(screen.getAllByTestId("composer-attachment")[1]).toHaveTextContent("A PDF document is at most 100 MB.");
    // Only the PDF was offered to the server; nothing was PUT; nothing can be sent.
    expect(view.api.find("POST", "/api/storage/uploads").map((r) => (r.body as { filename: string }).filename)).toEqual(["invoice.pdf"]);
    expect(xhr.instances).toHaveLength(0);
    await userEvent.type(view.input(), "see attached");
    expect(view.send()).toBeDisabled();
  });

  it("says the storage refused the PUT, and uploads again on Retry", async () => {
    const xhr = stubXhr();
    renderComposer({ conversation: conversation("whatsapp", HOUR) }, { "POST /api/storage/uploads": () => jsonResponse(201, ticket("up-1")) });
    await userEvent.upload(screen.getByTestId("composer-file-input"), photo());
    await waitFor(() => expect(xhr.instances).toHaveLength(1));
    act(() => xhr.instances[0]?.respond(403));

    expect(await screen.findByTestId("composer-attachment-error")).toHaveTextContent("The upload link was refused or has expired.");
    await userEvent.click(screen.getByTestId("composer-attachment-retry"));
    await waitFor(() => expect(xhr.instances).toHaveLength(2));
    expect(screen.getByTestId("composer-attachment")).toHaveAttribute("data-state", "uploading");
  });
});
