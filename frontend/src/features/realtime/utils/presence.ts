import type { PresenceStatus } from "@/lib/realtime-store";

export const PRESENCE_LABEL: Record<PresenceStatus, string> = { online: "Online", away: "Away", offline: "Offline" };
