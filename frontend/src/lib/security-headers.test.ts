import {
  contentSecurityPolicy,
  securityHeaders,
  storageOriginsFromEnv,
} from "../../security-headers.mjs";

function directives(csp: string): Record<string, string[]> {
  return Object.fromEntries(
    csp.split("; ").map((part) => {
      const [name, ...sources] = part.split(" ");
      return [name, sources];
    }),
  );
}

describe("the SPA's security headers", () => {
  const storage = "https://acct.r2.cloudflarestorage.com";

  it("allows only the app's own scripts in production", () => {
    const csp = directives(
      contentSecurityPolicy({ publicOrigin: "https://inbox.example.com", storageOrigins: [storage] }),
    );
    expect(csp["script-src"]).toEqual(["'self'"]);
    expect(csp["default-src"]).toEqual(["'self'"]);
    expect(csp["object-src"]).toEqual(["'none'"]);
    expect(csp["frame-ancestors"]).toEqual(["'none'"]);
  });

  it("lets the app reach its API socket and storage, and show attachments and avatars", () => {
    const csp = directives(
      contentSecurityPolicy({ publicOrigin: "https://inbox.example.com/app/", storageOrigins: [storage] }),
    );
    expect(csp["connect-src"]).toEqual(["'self'", "wss://inbox.example.com", storage]);
    expect(csp["img-src"]).toEqual(expect.arrayContaining(["'self'", "data:", "blob:", "https:", storage]));
    expect(csp["media-src"]).toEqual(expect.arrayContaining(["blob:", storage]));
    expect(csp["style-src"]).toEqual(["'self'", "'unsafe-inline'"]);
  });

  it("allows the inline React preamble and the HMR socket in development only", () => {
    const dev = directives(
      contentSecurityPolicy({
        dev: true,
        publicOrigin: "http://localhost:8000",
        storageOrigins: ["http://127.0.0.1:8333"],
      }),
    );
    expect(dev["script-src"]).toEqual(["'self'", "'unsafe-inline'"]);
    expect(dev["img-src"]).not.toContain("http://127.0.0.1:8010");
    expect(dev["connect-src"]).toEqual(
      expect.arrayContaining(["ws://localhost:8000", "ws://127.0.0.1:8000", "http://127.0.0.1:8333", "http://localhost:8333"]),
    );
  });

  it("sends frame denial, nosniff and the rest beside the policy", () => {
    const headers = securityHeaders({ publicOrigin: "https://inbox.example.com" });
    expect(headers["X-Frame-Options"]).toBe("DENY");
    expect(headers["X-Content-Type-Options"]).toBe("nosniff");
    expect(headers["Referrer-Policy"]).toBe("strict-origin-when-cross-origin");
    expect(headers["Cross-Origin-Opener-Policy"]).toBe("same-origin");
    expect(headers["Permissions-Policy"]).toContain("camera=()");
  });

  it("finds the storage origin from the API's own variables", () => {
    expect(storageOriginsFromEnv({ STORAGE_PUBLIC_ENDPOINT_URL: "https://cdn.example.com/files", STORAGE_ENDPOINT_URL: "http://minio:9000" })).toEqual(["https://cdn.example.com"]);
    expect(storageOriginsFromEnv({ STORAGE_ENDPOINT_URL: "http://127.0.0.1:8333" })).toEqual(["http://127.0.0.1:8333"]);
    expect(storageOriginsFromEnv({ R2_ACCOUNT_ID: "abc" })).toEqual(["https://abc.r2.cloudflarestorage.com"]);
    expect(storageOriginsFromEnv({})).toEqual([]);
  });

  it("lets development show metasim's plain-http profile pictures", () => {
    const dev = directives(
      contentSecurityPolicy({ dev: true, imageOrigins: ["http://127.0.0.1:8010"] }),
    );
    expect(dev["img-src"]).toEqual(expect.arrayContaining(["http://127.0.0.1:8010", "http://localhost:8010"]));
    expect(dev["connect-src"]).not.toContain("http://127.0.0.1:8010");
  });
});
