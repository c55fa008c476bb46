import { useCan } from "@/features/auth/hooks/use-can";

/** Connect, rename, disconnect, reconnect, import, sync templates (channels:manage); the API refuses others. */
export function useCanManageChannels(): boolean {
  return useCan("channels:manage") === true;
}
