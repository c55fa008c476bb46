import { useMe } from "@/features/auth/api/get-me";
import type { Role } from "@/lib/api/types";

const MANAGERS: ReadonlySet<Role> = new Set<Role>(["owner", "admin"]);

/** Owners and admins connect, rename, disconnect, reconnect and import; the API refuses others. */
export function useCanManageChannels(): boolean {
  const { data } = useMe();
  return data !== undefined && MANAGERS.has(data.role);
}
