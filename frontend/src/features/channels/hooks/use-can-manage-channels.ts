import { useIsTenantAdmin } from "@/features/auth/hooks/use-role";

/** Owners and admins connect, rename, disconnect, reconnect and import; the API refuses others. */
export function useCanManageChannels(): boolean {
  return useIsTenantAdmin() === true;
}
