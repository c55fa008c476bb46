import type { Role } from "@/lib/api/types";

export const ROLES: readonly Role[] = ["owner", "admin", "agent", "viewer"];

export const ROLE_LABELS: Record<Role, string> = {
  owner: "Owner",
  admin: "Admin",
  agent: "Agent",
  viewer: "Viewer",
};

/** What each role may do, in a phrase (the server's permission table decides). */
export const ROLE_DESCRIPTIONS: Record<Role, string> = {
  owner: "Everything, including ownership, data export and deleting the workspace",
  admin: "Manages the team, channels, API keys, webhooks and the audit log",
  agent: "Answers conversations",
  viewer: "Reads conversations, cannot reply (read-only)",
};

/** The roles a caller may hand out: `owner` only with `tenant:own`. */
export function grantableRoles(canOwn: boolean): Role[] {
  return ROLES.filter((role) => canOwn || role !== "owner");
}

export function roleBadgeVariant(role: Role): "default" | "secondary" | "outline" {
  if (role === "owner") return "default";
  if (role === "admin") return "secondary";
  return "outline";
}
