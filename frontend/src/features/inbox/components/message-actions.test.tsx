import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useMemo } from "react";
import { beforeEach, describe, expect, it, vi } from "vitest";

import type { ChannelKind, Message, Role } from "@/lib/api/types";
import { flattenMessages, upsertMessage } from "@/lib/inbox-cache";
import { stubApi, type StubHandler } from "@/testing/api-stub";
import { stubLayoutApis } from "@/testing/dom-stubs";
import { buildMe, buildMessage, jsonResponse } from "@/testing/fixtures";
import { renderWithProviders } from "@/testing/render";

import { useMessages } from "../api/get-messages";

import { MessageList } from "./message-list";

/** The thread as the app shows it: messages from the query cache, so optimistic writes show. */
function Thread({ kind, windowOpen, onReply }: { kind: ChannelKind; windowOpen: boolean; onReply?: (m: Message) => void }) {
  const query = useMessages("c1");
  const messages = useMemo(() => flattenMessages(query.data), [query.data]);
  return (
    <MessageList
      conversationId="c1"
      messages={messages}
      contactName="Ada Lovelace"
      isPending={query.isPending}
      error={null}
      hasOlder={false}
      isFetchingOlder={false}
      onLoadOlder={() => {}}
      onRetry={() => {}}
      channelKind={kind}
      windowOpen={windowOpen}
      onReply={onReply}
    />
  );
}

function renderThread(
  messages: Message[],
  handlers: Record<string, StubHandler> = {},
  {
    kind = "whatsapp",
    windowOpen = true,
    onReply,
    role = "agent",
  }: { kind?: ChannelKind; windowOpen?: boolean; onReply?: (m: Message) => void; role?: Role } = {},
) {
  const api = stubApi({
    "GET /api/inbox/conversations/c1/messages": () => jsonResponse(200, { items: messages, next_cursor: null }),
    "GET /api/team/members": () =>
      jsonResponse(200, [{ id: "u-grace", name: "Grace Hopper", email: "grace@acme.test", role: "agent" }]),
    ...handlers,
  });
  const view = renderWithProviders(<Thread kind={kind} windowOpen={windowOpen} onReply={onReply} />, { me: buildMe(role) });
  return { ...view, api };
}

async function bubble(messageId: string): Promise<HTMLElement> {
  return waitFor(() => {
    const found = screen.getAllByTestId("message-bubble").find((b) => b.dataset.messageId === messageId);
    if (found === undefined) throw new Error(`no bubble for ${messageId}`);
    return found;
  });
}

const inbound = (overrides: Partial<Message> = {}) =>
  buildMessage({ id: "in-1", conversation_id: "c1", direction: "inbound", text: "Is it in stock?", external_id: "wamid.in1", ...overrides });

beforeEach(() => stubLayoutApis());

describe("failed messages", () => {
  it("show the reason and send again on Retry: the bubble goes back to queued", async () => {
    const failed = buildMessage({
      id: "out-1",
      conversation_id: "c1",
      direction: "outbound",
      status: "failed",
      text: "See you tomorrow",
      error: { code: "131047", reason: "More than 24 hours have passed since the customer last replied." },
    });
    let answer!: (r: Response) => void;
    const { api, queryClient } = renderThread([failed], {
      "POST /api/inbox/messages/out-1/retry": () => new Promise<Response>((resolve) => (answer = resolve)),
    });
    const b = await bubble("out-1");
    expect(within(b).getByTestId("message-error")).toHaveTextContent("Not delivered: More than 24 hours have passed");

    await userEvent.click(within(b).getByTestId("message-retry"));

    // At once, before the server answers.
    await waitFor(async () => expect(await bubble("out-1")).toHaveAttribute("data-status", "queued"));
    expect(within(await bubble("out-1")).queryByTestId("message-error")).toBeNull();
    expect(api.find("POST", "/api/inbox/messages/out-1/retry")).toHaveLength(1);
    answer(jsonResponse(202, { ...failed, status: "queued", error: null, retry_count: 1 }));
    await waitFor(async () => expect(await bubble("out-1")).toHaveAttribute("data-status", "queued"));

    // A late event about the first attempt (still "failed") does not undo the retry...
    act(() => upsertMessage(queryClient, failed));
    expect(await bubble("out-1")).toHaveAttribute("data-status", "queued");
    // ...but the second attempt's own outcome shows.
    act(() => upsertMessage(queryClient, { ...failed, retry_count: 1, status: "sent", error: null }));
    await waitFor(async () => expect(await bubble("out-1")).toHaveAttribute("data-status", "sent"));
  });

  it("put the failure back, with why the retry was refused", async () => {
    const failed = buildMessage({ id: "out-1", conversation_id: "c1", direction: "outbound", status: "failed", text: "Hi", error: { code: "x", reason: "Rejected" } });
    renderThread([failed], {
      "POST /api/inbox/messages/out-1/retry": () =>
        jsonResponse(409, { error: "template_required", detail: "Over 24 hours since the customer wrote: WhatsApp allows only approved templates." }),
    });
    await userEvent.click(within(await bubble("out-1")).getByTestId("message-retry"));
    expect(await screen.findByTestId("message-retry-error")).toHaveTextContent("Could not send it again: Over 24 hours since the customer wrote");
    expect(await bubble("out-1")).toHaveAttribute("data-status", "failed");
    expect(within(await bubble("out-1")).getByTestId("message-error")).toHaveTextContent("Not delivered: Rejected");
  });
});

describe("reactions", () => {
  it("react with an emoji from the picker, shown at once; clicking your own takes it back", async () => {
    const message = inbound();
    const { api } = renderThread([message], {
      "POST /api/inbox/messages/in-1/reactions": ({ body }) => {
        const emoji = (body as { emoji: string }).emoji;
        return jsonResponse(202, { ...message, reactions: emoji === "" ? [] : [{ emoji, by: "business", at: "2026-11-20T10:05:00Z" }] });
      },
    });
    const b = await bubble("in-1");
    await userEvent.click(within(b).getByTestId("message-react"));
    const choices = await screen.findAllByTestId("reaction-choice");
    expect(choices.map((c) => c.dataset.emoji)).toEqual(["👍", "❤️", "😂", "😮", "😢", "🙏"]);
    await userEvent.click(choices[1] as HTMLElement);

    await waitFor(async () => expect(within(await bubble("in-1")).getByTestId("reaction")).toHaveAttribute("data-emoji", "❤️"));
    expect(api.find("POST", "/api/inbox/messages/in-1/reactions")[0]?.body).toEqual({ emoji: "❤️" });

    await userEvent.click(within(await bubble("in-1")).getByTestId("reaction-remove"));
    await waitFor(async () => expect(within(await bubble("in-1")).queryByTestId("message-reactions")).toBeNull());
    expect(api.find("POST", "/api/inbox/messages/in-1/reactions")[1]?.body).toEqual({ emoji: "" });
  });

  it("choosing your current emoji in the picker removes it", async () => {
    const message = inbound({ reactions: [{ emoji: "👍", by: "business", at: "2026-11-20T10:01:00Z" }] });
    const { api } = renderThread([message], {
      "POST /api/inbox/messages/in-1/reactions": () => jsonResponse(202, { ...message, reactions: [] }),
    });
    await userEvent.click(within(await bubble("in-1")).getByTestId("message-react"));
    const mine = (await screen.findAllByTestId("reaction-choice")).find((c) => c.dataset.emoji === "👍") as HTMLElement;
    expect(mine).toHaveAttribute("aria-pressed", "true");
    await userEvent.click(mine);
    await waitFor(() => expect(api.find("POST", "/api/inbox/messages/in-1/reactions")[0]?.body).toEqual({ emoji: "" }));
  });

  it("rolls back and says why when the server refuses", async () => {
    renderThread([inbound()], {
      "POST /api/inbox/messages/in-1/reactions": () =>
        jsonResponse(409, { error: "window_closed", detail: "Over 24 hours since the customer wrote: reactions are not allowed any more." }),
    });
    await userEvent.click(within(await bubble("in-1")).getByTestId("message-react"));
    await userEvent.click((await screen.findAllByTestId("reaction-choice"))[0] as HTMLElement);

    expect(await screen.findByTestId("reaction-error")).toHaveTextContent("Reaction not sent: Over 24 hours since the customer wrote");
    expect(within(await bubble("in-1")).queryByTestId("message-reactions")).toBeNull();
  });

  it("are offered only where Meta allows them", async () => {
    renderThread(
      [
        inbound(),
        buildMessage({ id: "out-1", conversation_id: "c1", direction: "outbound", status: "delivered", text: "Yes", external_id: "wamid.out1" }),
        buildMessage({ id: "out-2", conversation_id: "c1", direction: "outbound", status: "queued", text: "Sending" }),
      ],
      {},
      { kind: "whatsapp", windowOpen: true },
    );
    expect(within(await bubble("in-1")).getByTestId("message-react")).toBeEnabled();
    // On WhatsApp the business reacts to the customer's messages only; nothing unsent.
    expect(within(await bubble("out-1")).queryByTestId("message-react")).toBeNull();
    expect(within(await bubble("out-2")).queryByTestId("message-react")).toBeNull();
  });

  it("are disabled, saying why, outside the 24-hour window", async () => {
    renderThread([inbound()], {}, { kind: "messenger", windowOpen: false });
    const button = within(await bubble("in-1")).getByTestId("message-react");
    expect(button).toBeDisabled();
    expect(button).toHaveAttribute("title", "Reactions can be sent only within 24 hours of the customer's last message.");
  });
});

describe("replying to a message", () => {
  it("Reply hands the message to the composer (WhatsApp, sent messages only)", async () => {
    const onReply = vi.fn();
    renderThread([inbound(), buildMessage({ id: "out-q", conversation_id: "c1", direction: "outbound", status: "queued", text: "Not yet" })], {}, { onReply });
    await userEvent.click(within(await bubble("in-1")).getByTestId("message-reply"));
    expect(onReply).toHaveBeenCalledWith(expect.objectContaining({ id: "in-1" }));
    expect(within(await bubble("out-q")).queryByTestId("message-reply")).toBeNull();
  });

  it("is not offered on Messenger", async () => {
    renderThread([inbound()], {}, { kind: "messenger", onReply: vi.fn() });
    expect(within(await bubble("in-1")).queryByTestId("message-reply")).toBeNull();
  });
});

describe("notes and labels on messages", () => {
  it("draws a private note as a yellow note with its author, with no actions", async () => {
    renderThread([buildMessage({ id: "n1", conversation_id: "c1", direction: "note", type: "note", text: "Refund approved", author_user_id: "u-grace" })]);
    const note = await bubble("n1");
    expect(note).toHaveAttribute("data-direction", "note");
    const body = within(note).getByTestId("note-bubble");
    expect(body).toHaveTextContent("Refund approved");
    await waitFor(() => expect(body).toHaveTextContent("Private note · Grace Hopper"));
    expect(within(note).queryByTestId("message-actions")).toBeNull();
    expect(within(note).queryByTestId("message-status")).toBeNull();
  });

  it("labels template and HUMAN_AGENT messages, and shows delivery ticks", async () => {
    renderThread([
      buildMessage({
        id: "t1",
        conversation_id: "c1",
        direction: "outbound",
        type: "template",
        status: "read",
        text: "Hi Ada, your order A-1 has shipped.",
        content: { template: { id: "t-order", name: "order_update", language: "en_US" } },
        external_id: "wamid.t1",
      }),
      buildMessage({ id: "h1", conversation_id: "c1", direction: "outbound", status: "sent", text: "Sorry for the wait", tag: "HUMAN_AGENT" }),
      buildMessage({ id: "f1", conversation_id: "c1", direction: "outbound", status: "failed", text: "x", error: { code: "e", reason: "Nope" } }),
    ]);
    const template = await bubble("t1");
    expect(template).toHaveTextContent("Hi Ada, your order A-1 has shipped.");
    expect(within(template).getByTestId("message-tag")).toHaveTextContent("Template · order_update");
    expect(within(template).getByTestId("message-status")).toHaveAttribute("aria-label", "Read");
    expect(within(await bubble("h1")).getByTestId("message-tag")).toHaveTextContent("Human agent");
    expect(within(await bubble("h1")).getByTestId("message-status")).toHaveAttribute("aria-label", "Sent");
    expect(within(await bubble("f1")).getByTestId("message-status")).toHaveAttribute("aria-label", "Failed");
  });
});

describe("a viewer (read-only)", () => {
  it("sees messages, failures and reactions but is offered no react, reply or retry", async () => {
    const onReply = vi.fn();
    const { api } = renderThread(
      [
        inbound({ reactions: [{ emoji: "👍", by: "business", at: "2026-11-20T10:01:00Z" }] }),
        buildMessage({ id: "out-1", conversation_id: "c1", direction: "outbound", status: "delivered", text: "Yes", external_id: "wamid.out1" }),
        buildMessage({ id: "f1", conversation_id: "c1", direction: "outbound", status: "failed", text: "x", error: { code: "e", reason: "Nope" } }),
      ],
      {},
      { kind: "whatsapp", windowOpen: true, onReply, role: "viewer" },
    );

    const message = await bubble("in-1");
    expect(within(message).getByTestId("reaction")).toHaveAttribute("data-emoji", "👍");
    expect(within(message).queryByTestId("message-actions")).toBeNull();
    expect(within(await bubble("out-1")).queryByTestId("message-actions")).toBeNull();
    const failed = await bubble("f1");
    expect(within(failed).getByTestId("message-error")).toHaveTextContent("Not delivered: Nope");
    expect(within(failed).queryByTestId("message-retry")).toBeNull();
    expect(screen.queryByTestId("message-react")).toBeNull();
    expect(screen.queryByTestId("message-reply")).toBeNull();
    expect(api.requests.filter((r) => r.method !== "GET")).toEqual([]);
  });

  it("is what an agent gets the actions for", async () => {
    renderThread(
      [
        inbound(),
        buildMessage({ id: "f1", conversation_id: "c1", direction: "outbound", status: "failed", text: "x", error: { code: "e", reason: "Nope" } }),
      ],
      {},
      { kind: "whatsapp", windowOpen: true, onReply: () => {}, role: "agent" },
    );
    expect(within(await bubble("in-1")).getByTestId("message-react")).toBeEnabled();
    expect(within(await bubble("in-1")).getByTestId("message-reply")).toBeInTheDocument();
    expect(within(await bubble("f1")).getByTestId("message-retry")).toBeInTheDocument();
  });
});
