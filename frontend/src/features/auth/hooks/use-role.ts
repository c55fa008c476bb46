import type { Role } from "@/lib/api/types";

import { useMe } from "../api/get-me";

const ADMINS: ReadonlySet<Role> = new Set<Role>(["owner", "admin"]);

/** Owners and admins of the workspace: `undefined` while the signed-in user is loading. */
export function useIsTenantAdmin(): boolean | undefined {
  const { data } = useMe();
  return data === undefined ? undefined : ADMINS.has(data.role);
}
