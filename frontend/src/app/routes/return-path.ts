/**
 * Where to go after signing in: the signed-in page that sent the visitor to /login (kept in
 * the router state), such as a conversation or the way back from Facebook's dialog on
 * /channels/connect/..., else the inbox. Only our own pages, never an arbitrary URL.
 */
export function returnPath(state: unknown): string {
  if (state !== null && typeof state === "object" && "from" in state && typeof state.from === "string") {
    if (/^\/(inbox|channels)(\/|\?|$)/.test(state.from)) return state.from;
  }
  return "/inbox";
}
