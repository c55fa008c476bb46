import type { MetaPage, PhoneNumber } from "@/lib/api/types";

type Connectable = Pick<MetaPage, "connected"> | Pick<PhoneNumber, "connected">;

function connectedReason({ connected }: Connectable): string | null {
  if (connected === "elsewhere") return "Connected to another Parley workspace";
  if (connected === "here") return "Already connected";
  return null;
}

/** Why a Page cannot be picked, or null when it can. */
export function pageUnavailableReason(page: MetaPage): string | null {
  return connectedReason(page) ?? (page.can_message ? null : "Missing MESSAGING permission");
}

/** Why a phone number cannot be picked, or null when it can. */
export function numberUnavailableReason(number: PhoneNumber): string | null {
  return connectedReason(number);
}
