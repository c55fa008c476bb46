/** One query-key factory per resource; every cache read and write goes through these. */

export const authKeys = {
  all: ["auth"] as const,
  me: () => [...authKeys.all, "me"] as const,
};

export const channelKeys = {
  all: ["channels"] as const,
  list: () => [...channelKeys.all, "list"] as const,
};

/** What a Facebook login (a Meta account) can see: pages, businesses, WABAs, numbers. */
export const metaKeys = {
  all: ["meta"] as const,
  account: (accountId: string) => [...metaKeys.all, accountId] as const,
  pages: (accountId: string) => [...metaKeys.account(accountId), "pages"] as const,
  businesses: (accountId: string) => [...metaKeys.account(accountId), "businesses"] as const,
  whatsappAccounts: (accountId: string, businessId: string) =>
    [...metaKeys.account(accountId), "businesses", businessId, "whatsapp-accounts"] as const,
  phoneNumbers: (accountId: string, wabaId: string) =>
    [...metaKeys.account(accountId), "whatsapp-accounts", wabaId, "phone-numbers"] as const,
};

export type ConversationFolder = "mine" | "unassigned" | "all";
export type ConversationStatusFilter = "open" | "pending" | "snoozed" | "resolved";
export type ConversationWindowFilter = "open" | "expiring" | "human_agent" | "closed";

/** One view of the conversation list (the inbox's URL search params, normalised). */
export interface ConversationFilters {
  folder: ConversationFolder;
  channelId: string | null;
  /** null: every status. */
  status: ConversationStatusFilter | null;
  assigneeId: string | null;
  label: string | null;
  /** true: unread only; false: no restriction. */
  unread: boolean;
  window: ConversationWindowFilter | null;
  /** Full-text search; null when not searching. */
  q: string | null;
}

/** What /inbox shows with no search params: every open conversation. */
export const DEFAULT_CONVERSATION_FILTERS: ConversationFilters = {
  folder: "all",
  channelId: null,
  status: "open",
  assigneeId: null,
  label: null,
  unread: false,
  window: null,
  q: null,
};

export const conversationKeys = {
  all: ["conversations"] as const,
  lists: () => [...conversationKeys.all, "list"] as const,
  /** One cached list per view; realtime events are matched against `filters` (key[2]). */
  list: (filters: ConversationFilters = DEFAULT_CONVERSATION_FILTERS) =>
    [...conversationKeys.lists(), filters] as const,
  details: () => [...conversationKeys.all, "detail"] as const,
  detail: (conversationId: string) => [...conversationKeys.details(), conversationId] as const,
  /** Open conversations per folder and channel. */
  counts: () => [...conversationKeys.all, "counts"] as const,
};

/** The labels in use on the team's conversations. */
export const labelKeys = {
  all: ["labels"] as const,
  list: () => [...labelKeys.all, "list"] as const,
};

/** The signed-in user's teammates (assignees). */
export const teamKeys = {
  all: ["team"] as const,
  members: () => [...teamKeys.all, "members"] as const,
  /** Pending invitations (team managers only). */
  invitations: () => [...teamKeys.all, "invitations"] as const,
};

/** What an invitation link offers (public, by token; apart from the team's own keys). */
export const inviteLinkKeys = {
  all: ["invite-link"] as const,
  preview: (token: string) => [...inviteLinkKeys.all, token] as const,
};

export const messageKeys = {
  all: ["messages"] as const,
  lists: () => [...messageKeys.all, "list"] as const,
  list: (conversationId: string) => [...messageKeys.lists(), conversationId] as const,
};

/** WhatsApp message templates (per channel, for the picker) and their rendered previews. */
export const templateKeys = {
  all: ["templates"] as const,
  lists: () => [...templateKeys.all, "list"] as const,
  list: (channelId: string, search: string) => [...templateKeys.lists(), channelId, search] as const,
  detail: (templateId: string) => [...templateKeys.all, "detail", templateId] as const,
  preview: (templateId: string, parameters: unknown) => [...templateKeys.all, "preview", templateId, parameters] as const,
};

/** The team's saved replies: the settings list and the composer's `/shortcut` suggestions. */
export const savedReplyKeys = {
  all: ["saved-replies"] as const,
  lists: () => [...savedReplyKeys.all, "list"] as const,
  list: (prefix: string) => [...savedReplyKeys.lists(), prefix] as const,
};

/** Short-lived presigned URLs of stored attachments (one per attachment). */
export const attachmentKeys = {
  all: ["attachments"] as const,
  url: (attachmentId: string) => [...attachmentKeys.all, attachmentId, "url"] as const,
};

export interface WebhookEventFilters {
  status: "received" | "processed" | "failed" | "dead" | null;
  channelId: string | null;
}

/** The operations page: webhook deliveries per channel and one by one (admins only). */
export const webhookKeys = {
  all: ["webhooks"] as const,
  channels: () => [...webhookKeys.all, "channels"] as const,
  eventLists: () => [...webhookKeys.all, "events"] as const,
  events: (filters: WebhookEventFilters) => [...webhookKeys.eventLists(), filters] as const,
};

/** What the Reports page asks for: whole days in a time zone, one channel or all. */
export interface ReportFilters {
  /** YYYY-MM-DD, both included. */
  from: string;
  to: string;
  tz: string;
  channelId: string | null;
}

/** Reports (owners and admins): traffic, delivery, failures, webhooks, expiring tokens. */
export const reportKeys = {
  all: ["reports"] as const,
  overview: (filters: ReportFilters) => [...reportKeys.all, "overview", filters] as const,
};

/** The audit log's filters (the API's query, without the cursor). */
export interface AuditLogFilters {
  /** One action, or a group ending in "." ("team."). */
  action: string | null;
  actorUserId: string | null;
  actorType: "user" | "api_key" | "system" | "anonymous" | null;
  /** ISO instants: since inclusive, until exclusive. */
  since: string | null;
  until: string | null;
}

/** Settings → Audit log (admins). */
export const auditKeys = {
  all: ["audit-logs"] as const,
  lists: () => [...auditKeys.all, "list"] as const,
  list: (filters: AuditLogFilters) => [...auditKeys.lists(), filters] as const,
  actions: () => [...auditKeys.all, "actions"] as const,
};

/** Settings → API keys (admins). */
export const apiKeyKeys = {
  all: ["api-keys"] as const,
  list: () => [...apiKeyKeys.all, "list"] as const,
};

/** Settings → Data & privacy: the trash (admins) and the data exports (owners). */
export const trashKeys = {
  all: ["trash"] as const,
  list: () => [...trashKeys.all, "list"] as const,
};

export const exportKeys = {
  all: ["exports"] as const,
  list: () => [...exportKeys.all, "list"] as const,
};
