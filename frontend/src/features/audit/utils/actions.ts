import type { AuditLogEntry } from "@/lib/api/types";

/** Each action in words, as the log's reader would say it. */
const ACTION_LABELS: Record<string, string> = {
  "auth.login_succeeded": "Signed in",
  "auth.login_failed": "Failed sign-in",
  "auth.login_locked": "Sign-in locked after failures",
  "auth.refresh_token_reused": "Reused sign-in token (sessions ended)",
  "tenant.registered": "Created the workspace",
  "tenant.deletion_requested": "Requested workspace deletion",
  "team.invitation_created": "Invited",
  "team.invitation_revoked": "Revoked invitation",
  "team.invitation_accepted": "Accepted invitation",
  "team.role_changed": "Changed role",
  "team.member_removed": "Removed member",
  "team.ownership_transferred": "Transferred ownership",
  "channel.connected": "Connected channel",
  "channel.disconnected": "Disconnected channel",
  "channel.reauthorized": "Re-authorised channel",
  "channel.updated": "Changed channel settings",
  "channel.token_revoked": "Meta revoked access",
  "channel.needs_reauth": "Channel needs re-authorisation",
  "api_key.created": "Created API key",
  "api_key.revoked": "Revoked API key",
  "webhook_endpoint.created": "Added webhook endpoint",
  "webhook_endpoint.updated": "Changed webhook endpoint",
  "webhook_endpoint.deleted": "Deleted webhook endpoint",
  "webhook_endpoint.secret_rotated": "Rotated webhook secret",
  "webhook_endpoint.secret_revealed": "Revealed webhook secret",
  "webhook_delivery.resent": "Re-sent webhook delivery",
  "data.export_requested": "Requested data export",
  "data.export_downloaded": "Downloaded data export",
  "conversation.deleted": "Deleted conversation",
  "conversation.restored": "Restored conversation",
  "contact.deleted": "Deleted contact",
  "contact.restored": "Restored contact",
};

const GROUP_LABELS: Record<string, string> = {
  auth: "Sign-in",
  tenant: "Workspace",
  team: "Team",
  channel: "Channels",
  api_key: "API keys",
  webhook_endpoint: "Webhook endpoints",
  webhook_delivery: "Webhook deliveries",
  data: "Data export",
  conversation: "Conversations",
  contact: "Contacts",
};

function sentence(words: string): string {
  const text = words.replace(/[_.]+/g, " ").trim();
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** "team.role_changed" → "Changed role"; an action this build does not know, in plain words. */
export function actionLabel(action: string): string {
  return ACTION_LABELS[action] ?? sentence(action.slice(action.indexOf(".") + 1) || action);
}

/** The area an action belongs to: "team.role_changed" → "team". */
export function actionGroup(action: string): string {
  const dot = action.indexOf(".");
  return dot === -1 ? action : action.slice(0, dot);
}

export function groupLabel(group: string): string {
  return GROUP_LABELS[group] ?? sentence(group);
}

export interface ActionGroup {
  group: string;
  label: string;
  actions: string[];
}

/** The actions grouped by area, in the server's order (for the filter menu). */
export function groupActions(actions: readonly string[]): ActionGroup[] {
  const groups = new Map<string, ActionGroup>();
  for (const action of actions) {
    const group = actionGroup(action);
    let entry = groups.get(group);
    if (entry === undefined) {
      entry = { group, label: groupLabel(group), actions: [] };
      groups.set(group, entry);
    }
    entry.actions.push(action);
  }
  return [...groups.values()];
}

/** Who did it, in words: a member's name, "API key …", "Meta", or "Someone" (not signed in). */
export function actorLabel(entry: AuditLogEntry, memberName?: string): string {
  const { actor } = entry;
  switch (actor.type) {
    case "user":
      return memberName ?? actor.label ?? "A former member";
    case "api_key":
      return actor.label ?? "An API key";
    case "system":
      return actor.label ?? "Parley";
    default:
      return actor.label ?? "Someone";
  }
}

/** What it was done to: its name as it was then, else its id. */
export function targetLabel(entry: AuditLogEntry): string | null {
  if (entry.target === null) return null;
  return entry.target.label ?? entry.target.id ?? entry.target.type;
}

/** A details value for reading ("from → to" for a change, JSON otherwise). */
export function detailValue(value: unknown): string {
  if (value !== null && typeof value === "object" && "from" in value && "to" in value) {
    const change = value as { from: unknown; to: unknown };
    return `${detailValue(change.from)} → ${detailValue(change.to)}`;
  }
  if (typeof value === "string") return value;
  if (value === null || value === undefined) return "—";
  if (typeof value === "boolean") return value ? "on" : "off";
  return JSON.stringify(value);
}
