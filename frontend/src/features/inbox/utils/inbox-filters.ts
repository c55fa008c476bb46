/**
 * The inbox's view lives in the URL (`/inbox?folder=mine&status=pending&q=refund`), so a
 * reload, a bookmark or a shared link shows the same list. These turn search params into
 * the list's filters and back, refusing values the API would reject.
 */
import {
  DEFAULT_CONVERSATION_FILTERS,
  type ConversationFilters,
  type ConversationFolder,
  type ConversationStatusFilter,
  type ConversationWindowFilter,
} from "@/lib/query-keys";

export const FOLDERS: readonly ConversationFolder[] = ["mine", "unassigned", "all"];
export const STATUSES: readonly ConversationStatusFilter[] = ["open", "pending", "snoozed", "resolved"];
export const WINDOWS: readonly ConversationWindowFilter[] = ["open", "expiring", "human_agent", "closed"];

export const STATUS_LABEL: Record<ConversationStatusFilter, string> = {
  open: "Open",
  pending: "Pending",
  snoozed: "Snoozed",
  resolved: "Resolved",
};

export const WINDOW_FILTER_LABEL: Record<ConversationWindowFilter, string> = {
  open: "Window open",
  expiring: "Expiring soon",
  human_agent: "Human agent window",
  closed: "Window closed",
};

/** The search params the inbox owns; anything else in the URL (`message`) is left alone. */
export const FILTER_PARAMS = ["folder", "channel", "status", "assignee", "label", "unread", "window", "q"] as const;
/** `?status=all`: every status (no param means the default, open). */
export const ANY_STATUS = "all";
/** The server's limit on search text. */
export const MAX_SEARCH_LENGTH = 200;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const LABEL = /^[\p{L}\p{N}_-]{1,32}$/u;

function oneOf<T extends string>(values: readonly T[], value: string | null): T | null {
  return value !== null && (values as readonly string[]).includes(value) ? (value as T) : null;
}

function uuidOrNull(value: string | null): string | null {
  const trimmed = value?.trim() ?? "";
  return UUID.test(trimmed) ? trimmed.toLowerCase() : null;
}

/** As the server stores labels: lower case, spaces become "-"; null when not a valid label. */
export function normalizeLabel(value: string | null): string | null {
  const label = (value ?? "").trim().replace(/\s+/g, "-").toLowerCase();
  return LABEL.test(label) ? label : null;
}

/** What the server accepts as search text: trimmed, at most 200 characters, some letter or digit. */
export function normalizeSearch(value: string | null): string | null {
  const text = (value ?? "").trim().slice(0, MAX_SEARCH_LENGTH).trim();
  return /[\p{L}\p{N}]/u.test(text) ? text : null;
}

export function filtersFromSearchParams(params: URLSearchParams): ConversationFilters {
  const status = params.get("status");
  return {
    folder: oneOf(FOLDERS, params.get("folder")) ?? DEFAULT_CONVERSATION_FILTERS.folder,
    channelId: uuidOrNull(params.get("channel")),
    status: status === ANY_STATUS ? null : (oneOf(STATUSES, status) ?? DEFAULT_CONVERSATION_FILTERS.status),
    assigneeId: uuidOrNull(params.get("assignee")),
    label: normalizeLabel(params.get("label")),
    unread: params.get("unread") === "1" || params.get("unread") === "true",
    window: oneOf(WINDOWS, params.get("window")),
    q: normalizeSearch(params.get("q")),
  };
}

/**
 * The URL form of `filters` (defaults left out), on top of `base`'s other params. The
 * `message` param (scroll to a search hit) is dropped: it belonged to the previous view.
 */
export function searchParamsFromFilters(filters: ConversationFilters, base?: URLSearchParams): URLSearchParams {
  const params = new URLSearchParams(base);
  for (const name of FILTER_PARAMS) params.delete(name);
  params.delete("message");
  if (filters.folder !== DEFAULT_CONVERSATION_FILTERS.folder) params.set("folder", filters.folder);
  if (filters.channelId !== null) params.set("channel", filters.channelId);
  if (filters.status !== DEFAULT_CONVERSATION_FILTERS.status) params.set("status", filters.status ?? ANY_STATUS);
  if (filters.assigneeId !== null) params.set("assignee", filters.assigneeId);
  if (filters.label !== null) params.set("label", filters.label);
  if (filters.unread) params.set("unread", "1");
  if (filters.window !== null) params.set("window", filters.window);
  if (filters.q !== null) params.set("q", filters.q);
  return params;
}

/** "?folder=mine&q=refund" (or "") for links that must keep the current view. */
export function searchStringOf(filters: ConversationFilters, extra: Record<string, string> = {}): string {
  const params = searchParamsFromFilters(filters);
  for (const [name, value] of Object.entries(extra)) params.set(name, value);
  const text = params.toString();
  return text === "" ? "" : `?${text}`;
}

/** The conversation's route, keeping the list's view; `messageId` scrolls the thread to a search hit. */
export function conversationPath(conversationId: string, filters: ConversationFilters, messageId?: string): string {
  return `/inbox/${encodeURIComponent(conversationId)}${searchStringOf(filters, messageId === undefined ? {} : { message: messageId })}`;
}

/** The refinements on top of the folder / channel / status the user picked (for the filter badge). */
export function activeRefinements(filters: ConversationFilters): number {
  return [filters.assigneeId !== null, filters.label !== null, filters.unread, filters.window !== null].filter(Boolean)
    .length;
}
