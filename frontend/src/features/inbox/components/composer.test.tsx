import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

import { setTokens } from "@/lib/auth";
import type { MessageListData } from "@/lib/inbox-cache";
import { messageKeys } from "@/lib/query-keys";
import { buildMessage, jsonResponse } from "@/testing/fixtures";
import { renderWithProviders } from "@/testing/render";

import { Composer } from "./composer";

interface Sent {
  key: string | null;
  body: unknown;
  authorization: string | null;
}

/** Stubs fetch with the given answers for POST .../messages, recording what was sent. */
function stubSend(...answers: (() => Response)[]) {
  const sent: Sent[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: Request) => {
      sent.push({
        key: input.headers.get("Idempotency-Key"),
        body: await input.clone().json(),
        authorization: input.headers.get("Authorization"),
      });
      const answer = answers[Math.min(sent.length - 1, answers.length - 1)];
      if (answer === undefined) throw new Error("no answer");
      return answer();
    }),
  );
  return sent;
}

const queued = (text: string, id = "m-out") =>
  buildMessage({ id, conversation_id: "c1", direction: "outbound", status: "queued", text });

describe("Composer", () => {
  it("is disabled while empty and sends on Enter with an Idempotency-Key", async () => {
    setTokens({ accessToken: "acc", refreshToken: "ref" });
    const sent = stubSend(() => jsonResponse(202, queued("Hello there")));
    const { queryClient } = renderWithProviders(<Composer conversationId="c1" />);
    queryClient.setQueryData<MessageListData>(messageKeys.list("c1"), {
      pages: [{ items: [], next_cursor: null }],
      pageParams: [null],
    });

    const input = screen.getByTestId("composer-input");
    expect(screen.getByTestId("composer-send")).toBeDisabled();
    await userEvent.type(input, "   ");
    expect(screen.getByTestId("composer-send")).toBeDisabled();
    await userEvent.clear(input);

    await userEvent.type(input, "Hello there{Enter}");

    await vi.waitFor(() => expect(input).toHaveValue(""));
    expect(sent).toHaveLength(1);
    expect(sent[0]?.body).toEqual({ text: "Hello there" });
    expect(sent[0]?.key).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(sent[0]?.authorization).toBe("Bearer acc");
    // The accepted message is in the thread right away.
    const data = queryClient.getQueryData<MessageListData>(messageKeys.list("c1"));
    expect(data?.pages[0]?.items.map((m) => m.text)).toEqual(["Hello there"]);
  });

  it("Shift+Enter adds a new line instead of sending", async () => {
    const sent = stubSend(() => jsonResponse(202, queued("x")));
    renderWithProviders(<Composer conversationId="c1" />);

    await userEvent.type(screen.getByTestId("composer-input"), "line one{Shift>}{Enter}{/Shift}line two");

    expect(screen.getByTestId("composer-input")).toHaveValue("line one\nline two");
    expect(sent).toHaveLength(0);
  });

  it("reuses the same Idempotency-Key when the same message is retried, and a new one for the next message", async () => {
    const sent = stubSend(
      () => jsonResponse(503, { error: "unavailable", detail: "Try again in a moment." }),
      () => jsonResponse(202, queued("Are you open today?", "m1")),
      () => jsonResponse(202, queued("Thanks!", "m2")),
    );
    renderWithProviders(<Composer conversationId="c1" />);
    const input = screen.getByTestId("composer-input");

    await userEvent.type(input, "Are you open today?");
    await userEvent.click(screen.getByTestId("composer-send"));
    expect(await screen.findByTestId("composer-error")).toHaveTextContent("Try again in a moment.");
    expect(input).toHaveValue("Are you open today?");

    await userEvent.click(screen.getByTestId("composer-send"));
    await vi.waitFor(() => expect(input).toHaveValue(""));
    expect(sent).toHaveLength(2);
    expect(sent[1]?.key).toBe(sent[0]?.key);

    await userEvent.type(input, "Thanks!{Enter}");
    await vi.waitFor(() => expect(sent).toHaveLength(3));
    expect(sent[2]?.key).not.toBe(sent[0]?.key);
  });

  it("uses a fresh key when the text was edited after a failure (a different message)", async () => {
    const sent = stubSend(
      () => jsonResponse(500, { error: "internal", detail: "Boom" }),
      () => jsonResponse(202, queued("Hello!")),
    );
    renderWithProviders(<Composer conversationId="c1" />);
    const input = screen.getByTestId("composer-input");

    await userEvent.type(input, "Hello{Enter}");
    await screen.findByTestId("composer-error");
    await userEvent.type(input, "!{Enter}");

    await vi.waitFor(() => expect(sent).toHaveLength(2));
    expect(sent[1]?.key).not.toBe(sent[0]?.key);
  });

  it("shows the 409 messaging-window reason inline", async () => {
    stubSend(() =>
      jsonResponse(409, {
        error: "window_closed",
        detail: "The 24-hour messaging window has closed; the customer must write first.",
      }),
    );
    renderWithProviders(<Composer conversationId="c1" />);

    await userEvent.type(screen.getByTestId("composer-input"), "Hi again{Enter}");

    expect(await screen.findByTestId("composer-error")).toHaveTextContent(
      "The 24-hour messaging window has closed; the customer must write first.",
    );
    expect(screen.getByTestId("composer-input")).toHaveValue("Hi again");
  });

  it("says why it cannot send when the conversation's channel needs reconnecting, and sends nothing", async () => {
    const sent = stubSend(() => jsonResponse(202, queued("x")));
    renderWithProviders(<Composer conversationId="c1" channel={{ name: "Acme Page", status: "needs_reauth" }} />);

    await userEvent.type(screen.getByTestId("composer-input"), "Hello{Enter}");

    expect(screen.getByTestId("composer-channel-hint")).toHaveTextContent(
      "Acme Page needs to be reconnected before replies can be sent.",
    );
    expect(screen.getByRole("link", { name: "Go to Channels" })).toHaveAttribute("href", "/channels");
    expect(screen.getByTestId("composer-send")).toBeDisabled();
    expect(sent).toHaveLength(0);
  });

  it("sends as usual through an active channel", async () => {
    renderWithProviders(<Composer conversationId="c1" channel={{ name: "Acme Page", status: "active" }} />);
    await userEvent.type(screen.getByTestId("composer-input"), "Hello");
    expect(screen.queryByTestId("composer-channel-hint")).toBeNull();
    expect(screen.getByTestId("composer-send")).toBeEnabled();
  });

  it("names a disconnected channel", () => {
    renderWithProviders(<Composer conversationId="c1" channel={{ name: "Old line", status: "disconnected" }} />);
    expect(screen.getByTestId("composer-channel-hint")).toHaveTextContent("Old line is disconnected");
  });
});
