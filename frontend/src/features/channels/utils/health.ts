import type { Channel, ChannelHealth } from "@/lib/api/types";
import { daysUntil, inDays } from "@/utils/format";

export interface HealthLabel {
  tone: ChannelHealth;
  label: string;
}

/** What a channel's badge says: "Connected", "Token expires in 5 days", "Needs reconnect", "Disconnected". */
export function healthLabel(channel: Channel, now: number = Date.now()): HealthLabel {
  if (channel.status === "disconnected" || channel.health === "disconnected") {
    return { tone: "disconnected", label: "Disconnected" };
  }
  if (channel.status === "needs_reauth" || channel.health === "needs_reauth") {
    return { tone: "needs_reauth", label: "Needs reconnect" };
  }
  if (channel.health === "expiring") {
    const days = daysUntil(channel.token_expires_at, now);
    return { tone: "expiring", label: days === null ? "Token expires soon" : `Token expires ${inDays(days)}` };
  }
  return { tone: "ok", label: "Connected" };
}

/** Whether the channel should be reconnected (or can be brought back). */
export function canReconnect(channel: Channel): boolean {
  return healthLabel(channel).tone !== "ok";
}

/** A live channel whose access is lost or about to be: the app-wide banner lists these. */
export function needsAttention(channel: Channel): boolean {
  const { tone } = healthLabel(channel);
  return tone === "needs_reauth" || tone === "expiring";
}

/** "Acme Page needs to be reconnected" / "Acme Page's access expires in 5 days". */
export function attentionMessage(channel: Channel, now: number = Date.now()): string {
  if (healthLabel(channel, now).tone === "needs_reauth") return `${channel.name} needs to be reconnected`;
  const days = daysUntil(channel.token_expires_at, now);
  return `${channel.name}'s access expires ${days === null ? "soon" : inDays(days)}`;
}

/** The Page id or the phone number: how people recognise the channel outside Parley. */
export function channelAddress(channel: Channel): string {
  if (channel.kind === "whatsapp") return channel.display_phone_number ?? channel.external_id;
  return `Page ID ${channel.external_id}`;
}
