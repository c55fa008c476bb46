/**
 * Reads a message's `content` (free-form JSON per type, written by the channel parsers) into
 * the shapes the bubble renders. Everything is checked at runtime: a field of the wrong type
 * is treated as missing, never trusted.
 */
import type { Attachment, AttachmentKind, Message, Reaction, ReplyTo } from "@/lib/api/types";

type Content = Message["content"];

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** A non-blank string, or null. */
export function str(value: unknown): string | null {
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return typeof value === "string" && value.trim() !== "" ? value : null;
}

/** A finite number (numeric strings too, as Meta sends some prices), or null. */
export function num(value: unknown): number | null {
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (typeof value === "string" && value.trim() !== "") {
    const parsed = Number(value);
    return Number.isFinite(parsed) ? parsed : null;
  }
  return null;
}

function records(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

/** A message with its list fields present, as the bubble draws it. */
export type ShownMessage = Message & {
  attachments: Attachment[];
  reactions: Reaction[];
  reply_to: ReplyTo | null;
  written_elsewhere: boolean;
};

/**
 * Fills the fields the schema leaves optional (`attachments`, `reactions`, `reply_to`), or an
 * older cached copy may lack, so rendering never trips over them.
 */
export function withMessageDefaults(message: Message): ShownMessage {
  const { attachments, reactions, reply_to, written_elsewhere, content } = message as Partial<Message>;
  if (
    Array.isArray(attachments) &&
    Array.isArray(reactions) &&
    reply_to !== undefined &&
    typeof written_elsewhere === "boolean" &&
    isRecord(content)
  ) {
    return message as ShownMessage;
  }
  return {
    ...message,
    content: isRecord(content) ? content : {},
    attachments: Array.isArray(attachments) ? attachments : [],
    reactions: Array.isArray(reactions) ? reactions : [],
    reply_to: reply_to ?? null,
    written_elsewhere: written_elsewhere === true,
  };
}

const ATTACHMENT_KINDS: ReadonlySet<string> = new Set<AttachmentKind>(["image", "video", "audio", "file", "sticker"]);

/** The schema types `kind` as a string: a kind the inbox does not know is offered as a file. */
export function attachmentKind(attachment: Pick<Attachment, "kind">): AttachmentKind {
  return ATTACHMENT_KINDS.has(attachment.kind) ? (attachment.kind as AttachmentKind) : "file";
}

/** Types the inbox knows how to show; anything else renders as unsupported. */
export const KNOWN_MESSAGE_TYPES: ReadonlySet<string> = new Set([
  "text",
  "image",
  "video",
  "audio",
  "file",
  "sticker",
  "location",
  "contacts",
  "link",
  "quick_reply",
  "postback",
  "interactive_reply",
  "button_reply",
  "order",
  "system",
  "referral",
  "unsupported",
  // Sent from Parley: a WhatsApp template (its text is the rendered preview), a private note.
  "template",
  "note",
]);

export interface LocationContent {
  latitude: number;
  longitude: number;
  name: string | null;
  address: string | null;
  url: string | null;
}

export function parseLocation(content: Content): LocationContent | null {
  const latitude = num(content.latitude);
  const longitude = num(content.longitude);
  if (latitude === null || longitude === null) return null;
  if (Math.abs(latitude) > 90 || Math.abs(longitude) > 180) return null;
  return { latitude, longitude, name: str(content.name), address: str(content.address), url: str(content.url) };
}

export interface SharedContact {
  name: string | null;
  phones: { phone: string; waId: string | null; type: string | null }[];
  emails: { email: string; type: string | null }[];
}

export function parseContacts(content: Content): SharedContact[] {
  return records(content.contacts).map((contact) => {
    const rawName = contact.name;
    // WhatsApp nests the name ({formatted_name, first_name...}); the parser flattens it, but be lenient.
    const name = isRecord(rawName) ? (str(rawName.formatted_name) ?? str(rawName.first_name)) : str(rawName);
    return {
      name,
      phones: records(contact.phones).flatMap((p) => {
        const phone = str(p.phone);
        return phone === null ? [] : [{ phone, waId: str(p.wa_id), type: str(p.type) }];
      }),
      emails: records(contact.emails).flatMap((e) => {
        const email = str(e.email);
        return email === null ? [] : [{ email, type: str(e.type) }];
      }),
    };
  });
}

export interface LinkContent {
  url: string;
  title: string | null;
}

export function parseLink(content: Content): LinkContent | null {
  const url = str(content.url);
  return url === null ? null : { url, title: str(content.title) };
}

export interface OrderItem {
  productId: string;
  quantity: number;
  price: number | null;
  currency: string | null;
}

export interface OrderContent {
  catalogId: string | null;
  note: string | null;
  items: OrderItem[];
  /** One total per currency (normally exactly one). */
  totals: { currency: string | null; amount: number }[];
}

export function parseOrder(content: Content): OrderContent {
  const items = records(content.items).map((item) => ({
    productId: str(item.product_retailer_id) ?? "Item",
    quantity: num(item.quantity) ?? 1,
    price: num(item.item_price),
    currency: str(item.currency),
  }));
  const totals = new Map<string | null, number>();
  for (const item of items) {
    if (item.price === null) continue;
    totals.set(item.currency, (totals.get(item.currency) ?? 0) + item.price * item.quantity);
  }
  return {
    catalogId: str(content.catalog_id),
    note: str(content.text),
    items,
    totals: [...totals].map(([currency, amount]) => ({ currency, amount })),
  };
}

export interface ReferralContent {
  source: string | null;
  type: string | null;
  ref: string | null;
  adId: string | null;
  headline: string | null;
}

function toReferral(value: Record<string, unknown>): ReferralContent {
  return {
    source: str(value.source) ?? str(value.source_type),
    type: str(value.type),
    ref: str(value.ref),
    adId: str(value.ad_id) ?? str(value.source_id),
    headline: str(value.headline),
  };
}

export function parseReferral(content: Content): ReferralContent {
  return toReferral(content);
}

/** `content.referral` on an ordinary message: the customer wrote after tapping an ad or link. */
export function messageReferral(content: Content): ReferralContent | null {
  return isRecord(content.referral) ? toReferral(content.referral) : null;
}

export function isAdReferral(referral: ReferralContent): boolean {
  return referral.adId !== null || referral.headline !== null || /^ads?$/i.test(referral.source ?? "");
}

/** The centred line for a referral: "Came from an ad: <headline>" / "Opened from a link (ref)". */
export function referralLine(referral: ReferralContent): string {
  if (isAdReferral(referral)) {
    return referral.headline !== null ? `Came from an ad: ${referral.headline}` : "Came from an ad";
  }
  if (referral.ref !== null) return `Opened from a link (${referral.ref})`;
  const source = referral.source?.toLowerCase().replace(/_/g, " ");
  return source ? `Opened the conversation from ${source}` : "Opened from a link";
}

export interface UnsupportedContent {
  providerType: string;
  reason: string | null;
}

export function parseUnsupported(message: Pick<Message, "type" | "content">): UnsupportedContent {
  const providerType = message.type === "unsupported" ? (str(message.content.provider_type) ?? "unknown") : message.type;
  const first = records(message.content.errors)[0];
  let reason: string | null = null;
  if (first !== undefined) {
    const title = str(first.title);
    const details = str(first.details) ?? (isRecord(first.error_data) ? str(first.error_data.details) : null);
    reason = title !== null && details !== null && title !== details ? `${title}: ${details}` : (details ?? title);
  }
  return { providerType, reason };
}

export interface ReplyChip {
  label: string;
  /** What the app received (payload / reply id), for the tooltip. */
  detail: string | null;
  description: string | null;
}

/** The small chip that says a message was a tap, not typed text. */
export function replyChip(message: Pick<Message, "type" | "content">): ReplyChip | null {
  const { content } = message;
  switch (message.type) {
    case "quick_reply":
      return { label: "Quick reply", detail: str(content.payload), description: null };
    case "postback": {
      const title = str(content.title);
      return { label: title === null ? "Button" : `Button: ${title}`, detail: str(content.payload), description: null };
    }
    case "interactive_reply":
      return {
        label: content.kind === "list" ? "List choice" : "Button reply",
        detail: str(content.reply_id),
        description: str(content.description),
      };
    case "button_reply":
      return { label: "Template button", detail: str(content.payload), description: null };
    default:
      return null;
  }
}

/** content.forwarded / frequently_forwarded (WhatsApp context). */
export function forwardedLabel(content: Content): string | null {
  if (content.frequently_forwarded === true) return "Forwarded many times";
  return content.forwarded === true ? "Forwarded" : null;
}

const TYPE_SUMMARY: Record<string, string> = {
  image: "Photo",
  video: "Video",
  audio: "Audio",
  sticker: "Sticker",
  file: "Attachment",
  location: "Location",
  contacts: "Contact",
  order: "Order",
  link: "Link",
};

/** A quoted message in one line: its text, else what it was ("Photo", "Attachment"). */
export function messageSummary(type: string | null, text: string | null): string {
  if (text !== null && text.trim() !== "") return text;
  if (type === null) return "Original message";
  return TYPE_SUMMARY[type] ?? "Attachment";
}

export interface ReactionGroup {
  emoji: string;
  count: number;
  byContact: boolean;
  byBusiness: boolean;
}

/** Same emoji together, in the order they were first given. */
export function groupReactions(reactions: readonly Reaction[]): ReactionGroup[] {
  const groups = new Map<string, ReactionGroup>();
  for (const reaction of reactions) {
    const group = groups.get(reaction.emoji) ?? { emoji: reaction.emoji, count: 0, byContact: false, byBusiness: false };
    group.count += 1;
    if (reaction.by === "business") group.byBusiness = true;
    else group.byContact = true;
    groups.set(reaction.emoji, group);
  }
  return [...groups.values()];
}
