import { useEffect, useMemo } from "react";

import { useActiveRealtime } from "@/lib/realtime";

import { createTypingNotifier, type TypingNotifier } from "../utils/typing-notifier";

/**
 * The composer's typing signal for one conversation, throttled (see `createTypingNotifier`).
 * It stops by itself when the composer goes (another conversation, unmounted). The
 * realtime connection sends nothing for a viewer, or before the conversation is joined.
 */
export function useTypingNotifier(conversationId: string): TypingNotifier {
  const realtime = useActiveRealtime();
  const notifier = useMemo(
    () => createTypingNotifier((typing) => realtime?.typing(conversationId, typing)),
    [realtime, conversationId],
  );
  useEffect(() => () => notifier.stop(), [notifier]);
  return notifier;
}
