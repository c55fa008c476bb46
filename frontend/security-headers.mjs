// The SPA's security headers, in one place: vite.config.ts serves them in development
// (`server.headers`) and preview (`preview.headers`), and whatever serves the built files in
// production sends `securityHeaders({ publicOrigin, storageOrigins })` (copy its output into
// the static server's or reverse proxy's config). The API sets its own, stricter headers.
//
// What the app needs, and so what the policy allows:
// - scripts: its own bundle only ('self'). In development @vitejs/plugin-react injects an
//   inline module script (the Fast Refresh preamble): 'unsafe-inline' in dev only.
// - styles: 'self' plus inline styles (Tailwind's and Radix's style attributes, Vite's
//   injected <style> in development).
// - connections: the API and Socket.IO on the same origin ('self', plus ws:/wss: of that
//   origin spelled out for browsers whose 'self' does not cover websockets, and the HMR
//   socket in development) and the object storage origin (presigned uploads).
// - images and media: 'self', data: and blob: (previews of files being uploaded), the
//   storage origin (attachments) and https: (customers' profile pictures on Meta's CDN).
// - nothing may frame the app (frame-ancestors 'none', X-Frame-Options: DENY), no plugins,
//   no <base> tricks, forms post only to the app itself.

/** The origin of a URL (`https://host[:port]`), or null when it is not an http(s) URL. */
export function originOf(url) {
  try {
    const parsed = new URL(url);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.origin : null;
  } catch {
    return null;
  }
}

/** The object storage origins browsers talk to, from the same variables the API reads
 * (STORAGE_PUBLIC_ENDPOINT_URL, else STORAGE_ENDPOINT_URL, else Cloudflare R2's account). */
export function storageOriginsFromEnv(env) {
  const url =
    env.STORAGE_PUBLIC_ENDPOINT_URL ||
    env.STORAGE_ENDPOINT_URL ||
    (env.R2_ACCOUNT_ID ? `https://${env.R2_ACCOUNT_ID}.r2.cloudflarestorage.com` : "");
  const origin = url ? originOf(url) : null;
  return origin ? [origin] : [];
}

function websocketOf(origin) {
  return origin.replace(/^http/, "ws");
}

function loopbackTwins(origins) {
  // The development servers answer on both loopback names.
  const twins = origins.flatMap((origin) => [
    origin.replace("//localhost", "//127.0.0.1"),
    origin.replace("//127.0.0.1", "//localhost"),
  ]);
  return [...new Set([...origins, ...twins])];
}

/**
 * @param {{ dev?: boolean, publicOrigin?: string, storageOrigins?: string[],
 *   imageOrigins?: string[] }} options
 *   dev: the Vite dev server (inline preamble, HMR socket); publicOrigin: where browsers
 *   reach the app (its websocket origin is allowed explicitly); storageOrigins: the object
 *   storage origins for uploads and attachments; imageOrigins: more image origins beyond
 *   https: (in development, metasim's plain-http profile pictures).
 */
export function contentSecurityPolicy({
  dev = false,
  publicOrigin,
  storageOrigins = [],
  imageOrigins = [],
} = {}) {
  const pages = publicOrigin ? [originOf(publicOrigin)].filter(Boolean) : [];
  const storage = dev ? loopbackTwins(storageOrigins) : storageOrigins;
  const images = dev ? loopbackTwins(imageOrigins) : imageOrigins;
  const sockets = (dev ? loopbackTwins(pages) : pages).map(websocketOf);
  const directives = {
    "default-src": ["'self'"],
    "script-src": dev ? ["'self'", "'unsafe-inline'"] : ["'self'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:", "blob:", "https:", ...storage, ...images],
    "media-src": ["'self'", "data:", "blob:", "https:", ...storage],
    "font-src": ["'self'", "data:"],
    "connect-src": ["'self'", ...sockets, ...storage],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
  };
  return Object.entries(directives)
    .map(([name, sources]) => `${name} ${[...new Set(sources)].join(" ")}`)
    .join("; ");
}

export const PERMISSIONS_POLICY =
  "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), " +
  "microphone=(), payment=(), usb=()";

/** Every header the SPA's responses carry. HSTS belongs to the TLS terminator. */
export function securityHeaders(options = {}) {
  return {
    "Content-Security-Policy": contentSecurityPolicy(options),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": PERMISSIONS_POLICY,
  };
}
