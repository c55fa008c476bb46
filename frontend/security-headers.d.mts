export interface CspOptions {
  /** The Vite dev server: the inline React preamble and the HMR socket are allowed. */
  dev?: boolean;
  /** Where browsers reach the app, e.g. https://inbox.example.com. */
  publicOrigin?: string;
  /** Object storage origins (uploads and attachments). */
  storageOrigins?: string[];
  /** More image origins beyond https: (metasim's profile pictures in development). */
  imageOrigins?: string[];
}

export function originOf(url: string): string | null;
export function storageOriginsFromEnv(env: Record<string, string | undefined>): string[];
export function contentSecurityPolicy(options?: CspOptions): string;
export const PERMISSIONS_POLICY: string;
export function securityHeaders(options?: CspOptions): Record<string, string>;
