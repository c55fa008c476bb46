import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";

import type { Message } from "@/lib/api/types";
import { stubApi, type StubHandler } from "@/testing/api-stub";
import { buildAttachment, buildMessage, jsonResponse } from "@/testing/fixtures";
import { renderWithProviders } from "@/testing/render";

import { MessageList } from "./message-list";

const inMinutes = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString();

/** Answers the presigned-URL endpoint for each attachment id with a fresh URL per call. */
function urlHandlers(...attachmentIds: string[]): Record<string, StubHandler> {
  const handlers: Record<string, StubHandler> = {};
  for (const id of attachmentIds) {
    let calls = 0;
    handlers[`GET /api/inbox/attachments/${id}/url`] = () => {
      calls += 1;
      return jsonResponse(200, { url: `https://files.example.test/${id}?sig=${calls}`, expires_at: inMinutes(5) });
    };
  }
  return handlers;
}

function renderMessages(messages: Message[], contactName: string | null = "Ada Lovelace") {
  return renderWithProviders(
    <MessageList
      conversationId="c1"
      messages={messages}
      contactName={contactName}
      isPending={false}
      error={null}
      hasOlder={false}
      isFetchingOlder={false}
      onLoadOlder={() => {}}
      onRetry={() => {}}
    />,
  );
}

function bubble(messageId: string): HTMLElement {
  const found = screen.getAllByTestId("message-bubble").find((b) => b.dataset.messageId === messageId);
  if (found === undefined) throw new Error(`no bubble for ${messageId}`);
  return found;
}

describe("message bubbles", () => {
  beforeEach(() => {
    // Radix's scroll area measures itself once the pointer is over it; jsdom cannot.
    vi.stubGlobal(
      "ResizeObserver",
      class {
        observe() {}
        unobserve() {}
        disconnect() {}
      },
    );
  });

  it("marks every bubble with its id, type, direction and status", () => {
    stubApi({});
    renderMessages([
      buildMessage({ id: "m1", text: "Hello" }),
      buildMessage({ id: "m2", direction: "outbound", status: "read", text: "Hi Ada" }),
    ]);
    const bubbles = screen.getAllByTestId("message-bubble");
    expect(bubbles.map((b) => [b.dataset.messageId, b.dataset.type, b.dataset.direction, b.dataset.status])).toEqual([
      ["m1", "text", "inbound", "received"],
      ["m2", "text", "outbound", "read"],
    ]);
    expect(within(bubble("m2")).getByTestId("message-status")).toHaveAttribute("aria-label", "Read");
    expect(within(bubble("m1")).queryByTestId("message-status")).toBeNull();
  });

  it("shows an image from its presigned URL with the caption, and opens it full size", async () => {
    const api = stubApi(urlHandlers("att-img"));
    renderMessages([
      buildMessage({
        id: "m1",
        type: "image",
        text: "Our new shop front",
        attachments: [buildAttachment({ id: "att-img", kind: "image" })],
      }),
    ]);

    const attachment = within(bubble("m1")).getByTestId("attachment");
    expect(attachment).toHaveAttribute("data-state", "stored");
    expect(attachment).toHaveAttribute("data-kind", "image");
    const img = await within(attachment).findByRole("img", { name: "Our new shop front" });
    expect(img).toHaveAttribute("src", "https://files.example.test/att-img?sig=1");
    expect(within(bubble("m1")).getByText("Our new shop front", { selector: "p" })).toBeInTheDocument();
    // (The bubble also reads who is signed in, to offer only what the role allows.)
    expect(api.calls().filter((call) => call !== "GET /api/auth/me")).toEqual(["GET /api/inbox/attachments/att-img/url"]);

    await userEvent.click(screen.getByRole("button", { name: /at full size/ }));
    const lightbox = await screen.findByTestId("image-lightbox");
    expect(within(lightbox).getByRole("img")).toHaveAttribute("src", "https://files.example.test/att-img?sig=1");
    expect(within(lightbox).getByRole("link", { name: "Open in new tab" })).toHaveAttribute("target", "_blank");
  });

  it("asks for a fresh link once when the browser cannot load the one it has (it expired)", async () => {
    const api = stubApi(urlHandlers("att-img"));
    renderMessages([buildMessage({ id: "m1", type: "image", text: null, attachments: [buildAttachment({ id: "att-img" })] })]);

    const img = await screen.findByRole("img", { name: "Photo" });
    fireEvent.error(img);
    await waitFor(() =>
      expect(screen.getByRole("img", { name: "Photo" })).toHaveAttribute("src", "https://files.example.test/att-img?sig=2"),
    );
    // The fresh link fails too: no loop, an honest message and a way to try again.
    fireEvent.error(screen.getByRole("img", { name: "Photo" }));
    expect(await screen.findByText("Attachment unavailable")).toBeInTheDocument();
    expect(api.find("GET", "/api/inbox/attachments/att-img/url")).toHaveLength(2);

    await userEvent.click(screen.getByRole("button", { name: "Try again" }));
    expect(await screen.findByRole("img", { name: "Photo" })).toHaveAttribute("src", "https://files.example.test/att-img?sig=3");
  });

  it("shows attachments still downloading and ones that could not be fetched, without asking for links", () => {
    const api = stubApi({});
    renderMessages([
      buildMessage({ id: "m1", type: "image", text: null, attachments: [buildAttachment({ state: "pending" })] }),
      buildMessage({
        id: "m2",
        type: "video",
        text: null,
        attachments: [buildAttachment({ kind: "video", state: "failed", error: "The media expired at Meta" })],
      }),
    ]);
    const pending = within(bubble("m1")).getByTestId("attachment");
    expect(pending).toHaveAttribute("data-state", "pending");
    expect(pending).toHaveTextContent("Downloading…");

    const failed = within(bubble("m2")).getByTestId("attachment");
    expect(failed).toHaveAttribute("data-state", "failed");
    expect(failed).toHaveAttribute("data-kind", "video");
    expect(failed).toHaveTextContent("Attachment unavailable");
    expect(failed).toHaveTextContent("The media expired at Meta");
    expect(api.calls()).toEqual([]);
  });

  it("plays video and audio, calls a voice note a voice message, and offers files for download", async () => {
    stubApi(urlHandlers("att-vid", "att-voice", "att-pdf"));
    renderMessages([
      buildMessage({ id: "m1", type: "video", text: "Unboxing", attachments: [buildAttachment({ id: "att-vid", kind: "video", mime_type: "video/mp4" })] }),
      buildMessage({
        id: "m2",
        type: "audio",
        text: null,
        content: { voice: true },
        attachments: [buildAttachment({ id: "att-voice", kind: "audio", mime_type: "audio/ogg" })],
      }),
      buildMessage({
        id: "m3",
        type: "file",
        text: null,
        attachments: [
          buildAttachment({ id: "att-pdf", kind: "file", mime_type: "application/pdf", filename: "invoice-204.pdf", size: 1_258_291 }),
        ],
      }),
    ]);

    await waitFor(() => expect(bubble("m1").querySelector("video")).toHaveAttribute("src", "https://files.example.test/att-vid?sig=1"));
    expect(bubble("m1").querySelector("video")).toHaveAttribute("controls");
    expect(bubble("m1")).toHaveTextContent("Unboxing");

    await waitFor(() => expect(bubble("m2").querySelector("audio")).toHaveAttribute("src", "https://files.example.test/att-voice?sig=1"));
    expect(bubble("m2")).toHaveTextContent("Voice message");

    const file = within(bubble("m3")).getByTestId("attachment");
    expect(file).toHaveAttribute("data-kind", "file");
    expect(file).toHaveTextContent("invoice-204.pdf");
    expect(file).toHaveTextContent("PDF · 1.2 MB");
    expect(await within(file).findByTestId("attachment-download")).toHaveAttribute("href", "https://files.example.test/att-pdf?sig=1");
  });

  it("shows a sticker on its own, without a bubble", async () => {
    stubApi(urlHandlers("att-st"));
    renderMessages([
      buildMessage({ id: "m1", type: "sticker", text: null, attachments: [buildAttachment({ id: "att-st", kind: "sticker", mime_type: "image/webp" })] }),
    ]);
    const img = await within(bubble("m1")).findByRole("img", { name: "Sticker" });
    expect(img).toHaveAttribute("src", "https://files.example.test/att-st?sig=1");
    expect(img).toHaveClass("size-32");
    expect(bubble("m1").querySelector(".bg-bubble-inbound")).toBeNull();
  });

  it("shows a location card with a map link and no map tiles", () => {
    stubApi({});
    renderMessages([
      buildMessage({
        id: "m1",
        type: "location",
        text: "Acme HQ",
        content: { latitude: 51.5033, longitude: -0.1196, name: "Acme HQ", address: "Westminster Bridge Rd, London" },
      }),
    ]);
    const card = within(bubble("m1")).getByTestId("location-card");
    expect(card).toHaveTextContent("Acme HQ");
    expect(card).toHaveTextContent("Westminster Bridge Rd, London");
    expect(within(card).getByRole("link", { name: "Open in map" })).toHaveAttribute(
      "href",
      "https://www.openstreetmap.org/?mlat=51.5033&mlon=-0.1196#map=16/51.5033/-0.1196",
    );
    expect(bubble("m1").querySelector("img")).toBeNull();
    // The name is on the card; it is not repeated as text.
    expect(within(bubble("m1")).getAllByText("Acme HQ")).toHaveLength(1);
  });

  it("shows shared contacts, links, taps and orders", () => {
    stubApi({});
    renderMessages([
      buildMessage({
        id: "contacts",
        type: "contacts",
        text: null,
        content: {
          contacts: [
            { name: "Grace Hopper", phones: [{ phone: "+1 555 0101", wa_id: "15550101", type: "CELL" }], emails: [{ email: "grace@navy.test" }] },
            { name: "Alan Turing", phones: [], emails: [] },
          ],
        },
      }),
      buildMessage({ id: "link", type: "link", text: "Spring catalogue", content: { url: "https://www.acme.test/spring", title: "Spring catalogue" } }),
      buildMessage({ id: "qr", type: "quick_reply", text: "Yes please", content: { payload: "YES" } }),
      buildMessage({ id: "pb", type: "postback", text: "Track my order", content: { payload: "TRACK", title: "Track my order" } }),
      buildMessage({
        id: "ir",
        type: "interactive_reply",
        text: "Tomorrow 10:00",
        content: { reply_id: "slot-1", title: "Tomorrow 10:00", description: "At the Soho store", kind: "list" },
      }),
      buildMessage({ id: "br", type: "button_reply", text: "Stop promotions", content: { payload: "STOP" } }),
      buildMessage({
        id: "order",
        type: "order",
        text: null,
        content: {
          catalog_id: "cat-1",
          text: "Please gift wrap",
          items: [
            { product_retailer_id: "SKU-1", quantity: 2, item_price: 10.5, currency: "EUR" },
            { product_retailer_id: "SKU-2", quantity: 1, item_price: 4, currency: "EUR" },
          ],
        },
      }),
    ]);

    const contacts = within(bubble("contacts")).getAllByTestId("contact-card");
    expect(contacts).toHaveLength(2);
    expect(contacts[0]).toHaveTextContent("Grace Hopper");
    expect(within(contacts[0] as HTMLElement).getByRole("link", { name: "+1 555 0101" })).toHaveAttribute("href", "tel:+15550101");
    expect(within(contacts[0] as HTMLElement).getByRole("link", { name: "grace@navy.test" })).toHaveAttribute("href", "mailto:grace@navy.test");

    const link = within(bubble("link")).getByTestId("link-card");
    expect(link).toHaveAttribute("href", "https://www.acme.test/spring");
    expect(link).toHaveTextContent("acme.test");

    const chip = (id: string) => within(bubble(id)).getByTestId("message-chip");
    expect(bubble("qr")).toHaveTextContent("Yes please");
    expect(chip("qr")).toHaveTextContent("Quick reply");
    expect(chip("pb")).toHaveTextContent("Button: Track my order");
    expect(chip("ir")).toHaveTextContent("List choice");
    expect(bubble("ir")).toHaveTextContent("At the Soho store");
    expect(chip("br")).toHaveTextContent("Template button");

    const order = within(bubble("order")).getByTestId("order-card");
    expect(within(order).getAllByTestId("order-item")).toHaveLength(2);
    expect(order).toHaveTextContent("3 items");
    expect(within(order).getByTestId("order-total")).toHaveTextContent(/25[.,]00/);
    expect(order).toHaveTextContent("Please gift wrap");
  });

  it("never turns a javascript: URL from message content into a link", () => {
    stubApi({});
    renderMessages([buildMessage({ id: "m1", type: "link", text: null, content: { url: "javascript:alert(1)", title: "Click me" } })]);
    const card = within(bubble("m1")).getByTestId("link-card");
    expect(card.tagName).toBe("DIV");
    expect(bubble("m1").querySelector("a")).toBeNull();
  });

  it("shows system notices and referrals as centred lines, not bubbles", () => {
    stubApi({});
    renderMessages([
      buildMessage({ id: "s1", type: "system", text: "Ada changed their number", content: { kind: "user_changed_number", body: "Ada changed their number" } }),
      buildMessage({ id: "r1", type: "referral", text: null, content: { source: "ADS", type: "OPEN_THREAD", ad_id: "ad-9", headline: "Summer sale" } }),
      buildMessage({ id: "r2", type: "referral", text: null, content: { source: "SHORTLINK", type: "OPEN_THREAD", ref: "spring-promo" } }),
    ]);
    expect(screen.queryAllByTestId("message-bubble")).toHaveLength(0);
    const lines = screen.getAllByTestId("system-line");
    expect(lines.map((l) => [l.dataset.messageId, l.dataset.type])).toEqual([
      ["s1", "system"],
      ["r1", "referral"],
      ["r2", "referral"],
    ]);
    expect(lines[0]).toHaveTextContent("Ada changed their number");
    expect(lines[1]).toHaveTextContent("Came from an ad: Summer sale");
    expect(lines[2]).toHaveTextContent("Opened from a link (spring-promo)");
  });

  it("falls back to an unsupported bubble for unsupported and unknown types", () => {
    stubApi({});
    renderMessages([
      buildMessage({
        id: "u1",
        type: "unsupported",
        text: null,
        content: { provider_type: "ephemeral", errors: [{ code: 131051, title: "Message type unknown", details: "Message type is not currently supported" }] },
      }),
      buildMessage({ id: "u2", type: "hologram", text: null, content: {} }),
    ]);
    expect(bubble("u1")).toHaveAttribute("data-type", "unsupported");
    expect(bubble("u1")).toHaveTextContent("Unsupported message (ephemeral)");
    expect(bubble("u1")).toHaveTextContent("Message type is not currently supported");
    expect(bubble("u2")).toHaveAttribute("data-type", "hologram");
    expect(bubble("u2")).toHaveTextContent("Unsupported message (hologram)");
  });

  it("labels forwarded messages, messages from an ad, and replies sent from another app", () => {
    stubApi({});
    renderMessages([
      buildMessage({ id: "m1", text: "Look at this", content: { forwarded: true } }),
      buildMessage({ id: "m2", text: "Is this still on?", content: { referral: { source: "ADS", ad_id: "ad-1", headline: "Summer sale" } } }),
      buildMessage({ id: "m3", direction: "outbound", status: "delivered", text: "Yes!", written_elsewhere: true }),
      buildMessage({
        id: "m4",
        direction: "outbound",
        status: "failed",
        text: "Hello?",
        error: { code: "131047", reason: "More than 24 hours have passed" },
      }),
    ]);
    expect(within(bubble("m1")).getByTestId("message-forwarded")).toHaveTextContent("Forwarded");
    const chip = within(bubble("m2")).getByTestId("message-chip");
    expect(chip).toHaveTextContent("From ad");
    expect(chip).toHaveAttribute("title", "Summer sale");
    expect(within(bubble("m3")).getByTestId("written-elsewhere")).toHaveTextContent("Sent from another app");
    expect(within(bubble("m3")).getByTestId("message-status")).toHaveAttribute("aria-label", "Delivered");
    expect(within(bubble("m4")).getByTestId("message-error")).toHaveTextContent("More than 24 hours have passed");
  });

  it("groups reactions by emoji and tells the customer's from the business's", () => {
    stubApi({});
    renderMessages([
      buildMessage({
        id: "m1",
        text: "We open at 9",
        reactions: [
          { emoji: "👍", by: "contact", at: "2026-11-20T10:01:00Z" },
          { emoji: "❤️", by: "contact", at: "2026-11-20T10:02:00Z" },
          { emoji: "👍", by: "business", at: "2026-11-20T10:03:00Z" },
        ],
      }),
      buildMessage({ id: "m2", text: "No reactions" }),
    ]);
    const reactions = within(bubble("m1")).getByTestId("message-reactions");
    const pills = within(reactions).getAllByTestId("reaction");
    expect(pills.map((p) => [p.dataset.emoji, p.dataset.count, p.dataset.by])).toEqual([
      ["👍", "2", "both"],
      ["❤️", "1", "contact"],
    ]);
    expect(pills[0]).toHaveTextContent("👍2");
    expect(pills[1]).toHaveAttribute("title", "❤️ from Ada Lovelace");
    expect(within(bubble("m2")).queryByTestId("message-reactions")).toBeNull();
  });

  it("quotes the message a reply answers and scrolls to it when it is loaded", async () => {
    stubApi({});
    const scrollIntoView = vi.fn();
    Element.prototype.scrollIntoView = scrollIntoView;
    try {
      renderMessages([
        buildMessage({ id: "orig", external_id: "wamid.1", type: "image", text: null, attachments: [buildAttachment({ state: "pending" })] }),
        buildMessage({
          id: "m2",
          direction: "outbound",
          status: "sent",
          text: "Lovely photo!",
          reply_to: { id: null, external_id: "wamid.1", text: null, type: "image", direction: "inbound" },
        }),
        buildMessage({
          id: "m3",
          text: "What about the blue one?",
          reply_to: { id: "gone", external_id: "wamid.0", text: "We have it in red and blue", type: "text", direction: "outbound" },
        }),
      ]);

      const loaded = within(bubble("m2")).getByTestId("reply-quote");
      expect(loaded).toHaveTextContent("Ada Lovelace");
      expect(loaded).toHaveTextContent("Photo");
      expect(loaded.tagName).toBe("BUTTON");
      await userEvent.click(loaded);
      expect(scrollIntoView).toHaveBeenCalledTimes(1);
      expect(scrollIntoView.mock.contexts[0]).toBe(bubble("orig"));
      expect(bubble("orig")).toHaveAttribute("data-highlighted", "true");

      // The original is not loaded: the quote still shows, but goes nowhere.
      const notLoaded = within(bubble("m3")).getByTestId("reply-quote");
      expect(notLoaded).toHaveTextContent("You");
      expect(notLoaded).toHaveTextContent("We have it in red and blue");
      expect(notLoaded.tagName).toBe("DIV");
    } finally {
      // jsdom has no scrollIntoView of its own.
      delete (Element.prototype as Partial<Element>).scrollIntoView;
    }
  });

  it("makes links in text clickable and safe", () => {
    stubApi({});
    renderMessages([buildMessage({ id: "m1", text: "See https://acme.test/faq. Thanks" })]);
    const link = within(bubble("m1")).getByRole("link", { name: "https://acme.test/faq" });
    expect(link).toHaveAttribute("href", "https://acme.test/faq");
    expect(link).toHaveAttribute("rel", "noopener noreferrer");
    expect(bubble("m1")).toHaveTextContent("See https://acme.test/faq. Thanks");
  });
});
