import type { Permission } from "@/lib/api/types";

import { useMe } from "../api/get-me";

/**
 * Whether the signed-in user's role allows `permission` (the server's permission table,
 * read from /api/auth/me): `undefined` while loading, so callers can tell "not yet" from
 * "no". The server enforces the same table on every route; this only shapes the UI.
 */
export function useCan(permission: Permission): boolean | undefined {
  const { data } = useMe();
  return data === undefined ? undefined : data.permissions.includes(permission);
}
