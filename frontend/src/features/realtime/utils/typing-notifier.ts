/**
 * When the composer says "typing": `typing:start` on the first keystroke and again at most
 * every `throttleMs` while keys keep coming (the server forgets a typist after 6 s without
 * one), `typing:stop` after `idleMs` without a keystroke, or at once on send, blur or an
 * emptied input.
 */
export interface TypingNotifier {
  /** A keystroke that leaves something in the input. */
  input(): void;
  /** Sent, blurred, emptied or gone: stop now (nothing is sent if not typing). */
  stop(): void;
}

export const TYPING_THROTTLE_MS = 3_000;
export const TYPING_IDLE_MS = 3_000;

export function createTypingNotifier(
  send: (typing: boolean) => void,
  { throttleMs = TYPING_THROTTLE_MS, idleMs = TYPING_IDLE_MS }: { throttleMs?: number; idleMs?: number } = {},
): TypingNotifier {
  let typing = false;
  let startedAt = 0;
  let idle: ReturnType<typeof setTimeout> | null = null;

  function stop(): void {
    if (idle !== null) clearTimeout(idle);
    idle = null;
    if (!typing) return;
    typing = false;
    send(false);
  }

  return {
    input() {
      const now = Date.now();
      if (!typing || now - startedAt >= throttleMs) {
        typing = true;
        startedAt = now;
        send(true);
      }
      if (idle !== null) clearTimeout(idle);
      idle = setTimeout(stop, idleMs);
    },
    stop,
  };
}
