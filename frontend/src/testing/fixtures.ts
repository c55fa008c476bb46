import type { Attachment, Channel, Conversation, Me, Message, Permission, WebhookChannel, WebhookEvent } from "@/lib/api/types";

let counter = 0;

export function buildConversation(overrides: Partial<Conversation> = {}): Conversation {
  counter += 1;
  const id = overrides.id ?? `conv-${counter}`;
  return {
    id,
    channel_id: "chan-1",
    channel: { id: "chan-1", kind: "messenger", name: "Acme Page" },
    contact: { id: `contact-${id}`, name: `Contact ${id}`, external_id: `psid-${id}`, avatar_url: null },
    status: "open",
    assignee_id: null,
    labels: [],
    unread_count: 0,
    last_message_at: "2026-11-20T10:00:00Z",
    last_inbound_at: "2026-11-20T10:00:00Z",
    created_at: "2026-11-19T08:00:00Z",
    last_message_preview: "Hello",
    window: { state: "open", expires_at: "2026-11-21T10:00:00Z" },
    ...overrides,
  };
}

export function buildMessage(overrides: Partial<Message> = {}): Message {
  counter += 1;
  return {
    id: overrides.id ?? `msg-${counter}`,
    conversation_id: "conv-1",
    direction: "inbound",
    type: "text",
    text: "Hi there",
    content: {},
    status: "received",
    external_id: null,
    error: null,
    attachments: [],
    reactions: [],
    reply_to: null,
    written_elsewhere: false,
    author_user_id: null,
    tag: null,
    automated: false,
    retry_count: 0,
    created_at: "2026-11-20T10:00:00Z",
    sent_at: null,
    provider_timestamp: null,
    ...overrides,
  };
}

export function buildAttachment(overrides: Partial<Attachment> = {}): Attachment {
  counter += 1;
  return {
    id: overrides.id ?? `att-${counter}`,
    kind: "image",
    mime_type: "image/jpeg",
    size: 48_213,
    filename: null,
    state: "stored",
    error: null,
    ...overrides,
  };
}

export function buildWebhookChannel(overrides: Partial<WebhookChannel> = {}): WebhookChannel {
  counter += 1;
  return {
    channel_id: overrides.channel_id ?? `chan-${counter}`,
    channel_name: `Acme Page ${counter}`,
    kind: "messenger",
    last_event_at: null,
    lag_ms: null,
    processed_24h: 0,
    failed: 0,
    dead: 0,
    pending: 0,
    ...overrides,
  };
}

export function buildWebhookEvent(overrides: Partial<WebhookEvent> = {}): WebhookEvent {
  counter += 1;
  return {
    id: overrides.id ?? `evt-${counter}`,
    object: "page",
    status: "processed",
    attempts: 1,
    last_error: null,
    result: null,
    received_at: "2026-11-20T10:00:00Z",
    processed_at: "2026-11-20T10:00:01Z",
    channel_ids: [],
    ...overrides,
  };
}

export function buildChannel(overrides: Partial<Channel> = {}): Channel {
  counter += 1;
  const kind = overrides.kind ?? "messenger";
  return {
    id: overrides.id ?? `chan-${counter}`,
    kind,
    external_id: kind === "whatsapp" ? `pn-${counter}` : `page-${counter}`,
    name: kind === "whatsapp" ? `Acme WhatsApp ${counter}` : `Acme Page ${counter}`,
    status: "active",
    waba_id: kind === "whatsapp" ? "waba-1" : null,
    display_phone_number: kind === "whatsapp" ? "+1 555 0100" : null,
    is_primary: false,
    last_event_at: null,
    created_at: "2026-11-01T08:00:00Z",
    token_expires_at: null,
    token_checked_at: null,
    health: "ok",
    history_import: { status: "none", imported: 0, total: null, error: null },
    send_read_receipts: false,
    ...overrides,
  };
}

/** The permission table of api/auth/permissions.py, per role (kept in step by a test). */
export const ROLE_PERMISSIONS: Record<Me["role"], Permission[]> = {
  viewer: ["workspace:read"],
  agent: ["workspace:read", "conversations:write", "saved_replies:manage"],
  admin: [
    "workspace:read",
    "conversations:write",
    "saved_replies:manage",
    "conversations:delete",
    "channels:manage",
    "operations:manage",
    "team:manage",
    "api_keys:manage",
    "webhooks:manage",
    "audit:read",
    "reports:read",
  ],
  owner: [
    "workspace:read",
    "conversations:write",
    "saved_replies:manage",
    "conversations:delete",
    "channels:manage",
    "operations:manage",
    "team:manage",
    "api_keys:manage",
    "webhooks:manage",
    "audit:read",
    "reports:read",
    "tenant:export",
    "tenant:own",
  ],
};

export function buildMe(role: Me["role"] = "owner"): Me {
  return {
    id: "u1",
    email: `${role}@acme.test`,
    name: null,
    role,
    tenant: { id: "t1", name: "Acme" },
    permissions: ROLE_PERMISSIONS[role],
  };
}

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json", ...headers },
  });
}
