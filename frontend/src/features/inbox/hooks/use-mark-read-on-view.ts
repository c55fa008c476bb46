import { useEffect, useRef } from "react";

import { useMarkRead } from "../api/mark-read";

import { useDocumentVisible } from "./use-document-visible";

/**
 * Marks the open conversation read when it is opened (once its messages have loaded) and
 * again whenever a newer inbound message shows up in it while the tab is visible.
 */
export function useMarkReadOnView(conversationId: string, latestInboundId: string | null, loaded: boolean): void {
  const { mutate } = useMarkRead();
  const visible = useDocumentVisible();
  const lastMarked = useRef<string | null>(null);

  useEffect(() => {
    if (!loaded || !visible) return;
    const mark = `${conversationId}:${latestInboundId ?? ""}`;
    if (lastMarked.current === mark) return;
    lastMarked.current = mark;
    mutate(conversationId);
  }, [conversationId, latestInboundId, loaded, visible, mutate]);
}
