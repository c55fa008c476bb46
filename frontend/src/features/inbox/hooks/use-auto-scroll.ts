import { useCallback, useEffect, useLayoutEffect, useRef, type RefObject } from "react";

import type { Message } from "@/lib/api/types";

const NEAR_BOTTOM_PX = 120;

function scrollToBottom(element: HTMLElement): void {
  element.scrollTop = element.scrollHeight;
}

/**
 * Keeps a thread pinned to its newest message: jumps to the bottom when a conversation
 * opens, follows new messages when the reader is already near the bottom (or sent the
 * message), and holds the reading position when older messages are prepended.
 */
export function useAutoScroll(
  viewportRef: RefObject<HTMLElement | null>,
  conversationId: string,
  messages: Message[],
): { onScroll: () => void } {
  const state = useRef({
    conversationId: null as string | null,
    firstId: null as string | null,
    lastId: null as string | null,
    scrollHeight: 0,
    nearBottom: true,
  });

  const onScroll = useCallback(() => {
    const element = viewportRef.current;
    if (element === null) return;
    state.current.nearBottom = element.scrollHeight - element.scrollTop - element.clientHeight < NEAR_BOTTOM_PX;
  }, [viewportRef]);

  // The viewport shrinks when the composer grows (an error, a long draft) or the window is
  // resized, and the thread grows as photos load: a reader at the bottom stays at the bottom.
  useEffect(() => {
    const element = viewportRef.current;
    if (element === null || typeof ResizeObserver === "undefined") return;
    const observer = new ResizeObserver(() => {
      if (state.current.nearBottom) scrollToBottom(element);
    });
    observer.observe(element);
    // ...and its content grows when media finishes loading (a photo's height is only known then).
    if (element.firstElementChild !== null) observer.observe(element.firstElementChild);
    return () => observer.disconnect();
  }, [viewportRef]);

  useLayoutEffect(() => {
    const element = viewportRef.current;
    if (element === null) return;
    const s = state.current;
    const first = messages[0];
    const last = messages[messages.length - 1];
    const firstId = first?.id ?? null;
    const lastId = last?.id ?? null;

    if (s.conversationId !== conversationId || s.lastId === null) {
      scrollToBottom(element);
      s.nearBottom = true;
    } else if (lastId !== s.lastId) {
      if (s.nearBottom || last?.direction === "outbound") scrollToBottom(element);
    } else if (firstId !== s.firstId) {
      // Older messages were prepended: keep the same message under the reader's eyes.
      element.scrollTop += element.scrollHeight - s.scrollHeight;
    } else if (s.nearBottom) {
      // A bubble grew (status line, error reason): stay at the bottom.
      scrollToBottom(element);
    }

    s.conversationId = conversationId;
    s.firstId = firstId;
    s.lastId = lastId;
    s.scrollHeight = element.scrollHeight;
  }, [viewportRef, conversationId, messages]);

  return { onScroll };
}
