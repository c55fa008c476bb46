/**
 * Links that come from message content (a customer's shared link, a contact's website) are
 * untrusted: only absolute http(s) URLs become hrefs, never `javascript:` or `data:`.
 */
export function safeExternalUrl(url: unknown): string | null {
  if (typeof url !== "string" || url.trim() === "") return null;
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    return null;
  }
  return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : null;
}

/** "example.com" for a card's subtitle ("" when unparsable). */
export function hostnameOf(url: string): string {
  try {
    return new URL(url).hostname.replace(/^www\./, "");
  } catch {
    return "";
  }
}

/** OpenStreetMap centred on a point (a link only: no map tiles are loaded in the app). */
export function openStreetMapUrl(latitude: number, longitude: number): string {
  const lat = latitude.toFixed(6).replace(/\.?0+$/, "");
  const lon = longitude.toFixed(6).replace(/\.?0+$/, "");
  return `https://www.openstreetmap.org/?mlat=${lat}&mlon=${lon}#map=16/${lat}/${lon}`;
}
