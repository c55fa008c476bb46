import { describe, expect, it } from "vitest";

import { buildMessage } from "@/testing/fixtures";

import { attachmentUrlStaleTime } from "../api/get-attachment-url";

import {
  groupReactions,
  messageSummary,
  parseContacts,
  parseLocation,
  parseOrder,
  parseUnsupported,
  referralLine,
  replyChip,
  withMessageDefaults,
} from "./message-content";

describe("message content", () => {
  it("reads locations, refusing coordinates that are missing or off the globe", () => {
    expect(parseLocation({ latitude: "51.5", longitude: -0.12, name: "HQ" })).toEqual({
      latitude: 51.5,
      longitude: -0.12,
      name: "HQ",
      address: null,
      url: null,
    });
    expect(parseLocation({ latitude: 91, longitude: 0 })).toBeNull();
    expect(parseLocation({ name: "Nowhere" })).toBeNull();
  });

  it("reads shared contacts leniently", () => {
    expect(
      parseContacts({ contacts: [{ name: { formatted_name: "Grace Hopper" }, phones: [{ phone: "+1 555" }, { nope: 1 }], emails: "x" }, "junk"] }),
    ).toEqual([{ name: "Grace Hopper", phones: [{ phone: "+1 555", waId: null, type: null }], emails: [] }]);
    expect(parseContacts({})).toEqual([]);
  });

  it("totals an order per currency", () => {
    const order = parseOrder({
      items: [
        { product_retailer_id: "A", quantity: 2, item_price: "1.25", currency: "USD" },
        { product_retailer_id: "B", quantity: 1, item_price: 3, currency: "USD" },
        { product_retailer_id: "C", quantity: 1, currency: "USD" },
      ],
    });
    expect(order.totals).toEqual([{ currency: "USD", amount: 5.5 }]);
    expect(order.items.map((i) => i.price)).toEqual([1.25, 3, null]);
  });

  it("words referrals", () => {
    expect(referralLine({ source: "ADS", type: "OPEN_THREAD", ref: null, adId: "1", headline: "Sale" })).toBe("Came from an ad: Sale");
    expect(referralLine({ source: "ADS", type: null, ref: null, adId: null, headline: null })).toBe("Came from an ad");
    expect(referralLine({ source: "SHORTLINK", type: null, ref: "promo", adId: null, headline: null })).toBe("Opened from a link (promo)");
    expect(referralLine({ source: "MESSENGER_CODE", type: null, ref: null, adId: null, headline: null })).toBe(
      "Opened the conversation from messenger code",
    );
  });

  it("explains unsupported messages from Meta's error", () => {
    expect(parseUnsupported({ type: "unsupported", content: { provider_type: "poll", errors: [{ title: "Unsupported" }] } })).toEqual({
      providerType: "poll",
      reason: "Unsupported",
    });
    expect(parseUnsupported({ type: "unsupported", content: {} })).toEqual({ providerType: "unknown", reason: null });
    expect(parseUnsupported({ type: "hologram", content: {} })).toEqual({ providerType: "hologram", reason: null });
  });

  it("labels taps", () => {
    expect(replyChip({ type: "postback", content: { title: "Yes", payload: "Y" } })).toEqual({
      label: "Button: Yes",
      detail: "Y",
      description: null,
    });
    expect(replyChip({ type: "interactive_reply", content: { kind: "button_reply", reply_id: "r1" } })?.label).toBe("Button reply");
    expect(replyChip({ type: "text", content: {} })).toBeNull();
  });

  it("summarises a quoted message", () => {
    expect(messageSummary("text", "Hello")).toBe("Hello");
    expect(messageSummary("image", null)).toBe("Photo");
    expect(messageSummary("file", "")).toBe("Attachment");
    expect(messageSummary("weird", null)).toBe("Attachment");
    expect(messageSummary(null, null)).toBe("Original message");
  });

  it("groups reactions in the order they were first given", () => {
    expect(
      groupReactions([
        { emoji: "😂", by: "contact", at: "" },
        { emoji: "👍", by: "business", at: "" },
        { emoji: "😂", by: "business", at: "" },
      ]),
    ).toEqual([
      { emoji: "😂", count: 2, byContact: true, byBusiness: true },
      { emoji: "👍", count: 1, byContact: false, byBusiness: true },
    ]);
  });

  it("fills fields an older message lacks", () => {
    const complete = buildMessage();
    expect(withMessageDefaults(complete)).toBe(complete);
    const { reactions: _r, reply_to: _q, written_elsewhere: _w, ...old } = complete;
    expect(withMessageDefaults(old as typeof complete)).toMatchObject({ reactions: [], reply_to: null, written_elsewhere: false });
  });

  it("keeps a presigned link fresh for half the life it had", () => {
    const fetchedAt = Date.parse("2026-11-20T10:00:00Z");
    expect(attachmentUrlStaleTime({ url: "u", expires_at: "2026-11-20T10:05:00Z" }, fetchedAt)).toBe(150_000);
    expect(attachmentUrlStaleTime({ url: "u", expires_at: "2026-11-20T09:59:00Z" }, fetchedAt)).toBe(0);
    expect(attachmentUrlStaleTime(undefined, fetchedAt)).toBe(0);
  });
});
