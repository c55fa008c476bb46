/**
 * Leaves the SPA for an absolute http(s) URL (Facebook's login dialog, or metasim's in
 * development). Anything else (a `javascript:` URL, say) is refused.
 */
export function leaveForUrl(url: string): void {
  const parsed = new URL(url, window.location.href);
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    throw new Error("The server sent an unusable sign-in address.");
  }
  window.location.assign(parsed.href);
}
