/// <reference types="vitest/config" />
import { fileURLToPath, URL } from "node:url";

import tailwindcss from "@tailwindcss/vite";
import react from "@vitejs/plugin-react";
import { defineConfig, type ProxyOptions } from "vite";

import { originOf, securityHeaders, storageOriginsFromEnv } from "./security-headers.mjs";

function portFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new Error(`${name} must be a TCP port, got ${JSON.stringify(raw)}`);
  }
  return port;
}

const host = "127.0.0.1";
const webPort = portFromEnv("PARLEY_WEB_PORT", 8000);
const apiPort = portFromEnv("PARLEY_API_PORT", 8001);
const realtimePort = portFromEnv("PARLEY_REALTIME_PORT", 8002);

// The SPA's headers (CSP, frame denial, nosniff...): the same builder the production static
// server uses (security-headers.mjs). Storage is where uploads and attachments go; `make dev`
// passes STORAGE_ENDPOINT_URL, and its SeaweedFS port is the fallback.
const publicOrigin = process.env.PUBLIC_BASE_URL || `http://localhost:${webPort}`;
const storageOrigins = storageOriginsFromEnv(process.env);
if (storageOrigins.length === 0) {
  storageOrigins.push(`http://127.0.0.1:${portFromEnv("PARLEY_S3_PORT", 8333)}`);
}
// In development customers' profile pictures come from metasim over plain http.
const metasim = originOf(process.env.META_GRAPH_BASE_URL ?? "");
const imageOrigins = metasim?.startsWith("http:") ? [metasim] : [];
const devHeaders = securityHeaders({ dev: true, publicOrigin, storageOrigins, imageOrigins });
const previewHeaders = securityHeaders({ publicOrigin, storageOrigins });

// One origin for the browser: the SPA at /, the API at /api, Socket.IO at /socket.io.
const proxy: Record<string, ProxyOptions> = {
  "/api": { target: `http://${host}:${apiPort}`, changeOrigin: false },
  "/socket.io": { target: `http://${host}:${realtimePort}`, ws: true, changeOrigin: false },
};

export default defineConfig({
  plugins: [react(), tailwindcss()],
  resolve: {
    alias: { "@": fileURLToPath(new URL("./src", import.meta.url)) },
  },
  server: {
    host,
    port: webPort,
    strictPort: true,
    proxy,
    headers: devHeaders,
    // The HMR socket shares the page's port (no extra port to open or forward) and its own
    // path, so it never collides with the proxied /socket.io upgrade. PARLEY_WEB_HMR=0 turns
    // it off, e.g. for headless browser runs that must not reload mid-test.
    hmr:
      process.env.PARLEY_WEB_HMR === "0"
        ? false
        : { protocol: "ws", clientPort: webPort, path: "/__vite_hmr", overlay: true },
  },
  preview: {
    host,
    port: webPort,
    strictPort: true,
    proxy,
    headers: previewHeaders,
  },
  build: {
    sourcemap: true,
    rolldownOptions: {
      output: {
        // Long-lived vendor chunks cache across deploys; the app chunk stays small.
        codeSplitting: {
          groups: [
            { name: "react", test: /node_modules[\\/](react|react-dom|scheduler|react-router)[\\/]/, priority: 3 },
            { name: "data", test: /node_modules[\\/](@tanstack|openapi-fetch|socket\.io-|engine\.io-)/, priority: 2 },
            { name: "ui", test: /node_modules[\\/]/, priority: 1 },
          ],
        },
      },
    },
  },
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["./src/testing/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
    restoreMocks: true,
  },
});
