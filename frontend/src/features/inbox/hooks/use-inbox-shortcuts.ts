import { useEffect, useRef } from "react";

export type InboxShortcut = "next" | "previous" | "reply" | "resolve" | "search" | "help" | "escape";

export interface ShortcutHelp {
  keys: string[];
  description: string;
}

/** What the help dialog lists (and what `shortcutFor` implements). */
export const SHORTCUTS: ShortcutHelp[] = [
  { keys: ["j", "Alt ↓"], description: "Next conversation" },
  { keys: ["k", "Alt ↑"], description: "Previous conversation" },
  { keys: ["r"], description: "Reply (focus the message box)" },
  { keys: ["e"], description: "Resolve the open conversation" },
  { keys: ["/"], description: "Search messages" },
  { keys: ["Esc"], description: "Leave the search or message box" },
  { keys: ["?"], description: "Show these shortcuts" },
];

type KeyEventLike = Pick<
  KeyboardEvent,
  "key" | "altKey" | "ctrlKey" | "metaKey" | "shiftKey" | "defaultPrevented" | "isComposing" | "target"
>;

function isElement(target: EventTarget | null): target is Element {
  return target !== null && typeof (target as Element).closest === "function";
}

/** Typing into something: a text field, a select, or a contenteditable element. */
export function isTypingTarget(target: EventTarget | null): boolean {
  if (!isElement(target)) return false;
  if (target.closest("textarea, select, [contenteditable=''], [contenteditable='true']") !== null) return true;
  if (target instanceof HTMLInputElement) {
    return !["checkbox", "radio", "button", "submit", "reset", "range", "color", "file"].includes(target.type);
  }
  return false;
}

/** The shortcut a key press means, or null to leave it to the page. */
export function shortcutFor(event: KeyEventLike): InboxShortcut | null {
  if (event.defaultPrevented || event.isComposing) return null;
  if (event.ctrlKey || event.metaKey) return null;
  if (isTypingTarget(event.target)) {
    // A field whose own popup is open (a saved-reply picker, say) keeps its Escape.
    const expanded = isElement(event.target) && event.target.getAttribute("aria-expanded") === "true";
    return event.key === "Escape" && !expanded ? "escape" : null;
  }
  // Menus and dialogs (this one's help included) handle their own keys.
  if (isElement(event.target) && event.target.closest("[role='dialog'], [role='menu'], [role='listbox']") !== null) {
    return null;
  }
  if (event.altKey) {
    if (event.key === "ArrowDown") return "next";
    if (event.key === "ArrowUp") return "previous";
    return null;
  }
  if (event.key === "?") return "help";
  if (event.shiftKey) return null;
  switch (event.key) {
    case "j":
      return "next";
    case "k":
      return "previous";
    case "r":
      return "reply";
    case "e":
      return "resolve";
    case "/":
      return "search";
    default:
      return null;
  }
}

export type InboxShortcutHandlers = Record<Exclude<InboxShortcut, "escape">, () => void>;

/**
 * The inbox's keyboard shortcuts (see SHORTCUTS), on the whole document while the inbox is
 * shown. Keys typed into a text field stay there; Escape leaves the field.
 */
export function useInboxShortcuts(handlers: InboxShortcutHandlers, enabled = true): void {
  const latest = useRef(handlers);
  useEffect(() => {
    latest.current = handlers;
  });

  useEffect(() => {
    if (!enabled) return;
    function onKeyDown(event: KeyboardEvent) {
      const shortcut = shortcutFor(event);
      if (shortcut === null) return;
      if (shortcut === "escape") {
        if (event.target instanceof HTMLElement) event.target.blur();
        return;
      }
      event.preventDefault();
      latest.current[shortcut]();
    }
    document.addEventListener("keydown", onKeyDown);
    return () => document.removeEventListener("keydown", onKeyDown);
  }, [enabled]);
}
