import { fireEvent, render, renderHook } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";

import { shortcutFor, useInboxShortcuts, type InboxShortcutHandlers } from "./use-inbox-shortcuts";

function press(key: string, init: Partial<KeyboardEvent> = {}, target: EventTarget = document.body) {
  return shortcutFor({
    key,
    altKey: false,
    ctrlKey: false,
    metaKey: false,
    shiftKey: false,
    defaultPrevented: false,
    isComposing: false,
    target,
    ...init,
  });
}

function handlers(): InboxShortcutHandlers & Record<string, ReturnType<typeof vi.fn>> {
  return { next: vi.fn(), previous: vi.fn(), reply: vi.fn(), resolve: vi.fn(), search: vi.fn(), help: vi.fn() };
}

describe("shortcutFor", () => {
  it("maps the keys", () => {
    expect(press("j")).toBe("next");
    expect(press("k")).toBe("previous");
    expect(press("ArrowDown", { altKey: true })).toBe("next");
    expect(press("ArrowUp", { altKey: true })).toBe("previous");
    expect(press("r")).toBe("reply");
    expect(press("e")).toBe("resolve");
    expect(press("/")).toBe("search");
    expect(press("?", { shiftKey: true })).toBe("help");
  });

  it("leaves browser and system shortcuts alone", () => {
    expect(press("r", { ctrlKey: true })).toBeNull();
    expect(press("r", { metaKey: true })).toBeNull();
    expect(press("J", { shiftKey: true })).toBeNull();
    expect(press("ArrowDown")).toBeNull();
    expect(press("j", { altKey: true })).toBeNull();
    expect(press("j", { defaultPrevented: true })).toBeNull();
    expect(press("j", { isComposing: true })).toBeNull();
  });

  it("ignores keys typed into fields, except Escape", () => {
    const input = document.createElement("input");
    const textarea = document.createElement("textarea");
    const editable = document.createElement("div");
    editable.setAttribute("contenteditable", "true");
    for (const field of [input, textarea, editable]) {
      expect(press("j", {}, field)).toBeNull();
      expect(press("/", {}, field)).toBeNull();
      expect(press("?", {}, field)).toBeNull();
      expect(press("Escape", {}, field)).toBe("escape");
    }
    const checkbox = document.createElement("input");
    checkbox.type = "checkbox";
    expect(press("j", {}, checkbox)).toBe("next");
  });

  it("leaves Escape to a field whose own popup is open (the composer's saved replies)", () => {
    const textarea = document.createElement("textarea");
    textarea.setAttribute("aria-expanded", "true");
    expect(press("Escape", {}, textarea)).toBeNull();
  });

  it("stays out of dialogs and menus", () => {
    const dialog = document.createElement("div");
    dialog.setAttribute("role", "dialog");
    const button = document.createElement("button");
    dialog.append(button);
    expect(press("j", {}, button)).toBeNull();
  });
});

describe("useInboxShortcuts", () => {
  it("runs the handler and stops the key from typing", () => {
    const h = handlers();
    renderHook(() => useInboxShortcuts(h));
    const event = new KeyboardEvent("keydown", { key: "j", bubbles: true, cancelable: true });
    document.body.dispatchEvent(event);
    expect(h.next).toHaveBeenCalledTimes(1);
    expect(event.defaultPrevented).toBe(true);
    fireEvent.keyDown(document.body, { key: "e" });
    fireEvent.keyDown(document.body, { key: "?" });
    expect(h.resolve).toHaveBeenCalledTimes(1);
    expect(h.help).toHaveBeenCalledTimes(1);
  });

  it("does nothing while typing, and Escape leaves the field", () => {
    const h = handlers();
    renderHook(() => useInboxShortcuts(h));
    const { getByRole } = render(<input aria-label="search" />);
    const input = getByRole("textbox");
    input.focus();
    fireEvent.keyDown(input, { key: "j" });
    fireEvent.keyDown(input, { key: "/" });
    expect(h.next).not.toHaveBeenCalled();
    expect(h.search).not.toHaveBeenCalled();
    fireEvent.keyDown(input, { key: "Escape" });
    expect(document.activeElement).not.toBe(input);
  });

  it("uses the latest handlers and stops listening when disabled or unmounted", () => {
    const first = handlers();
    const second = handlers();
    const { rerender, unmount } = renderHook(({ h, enabled }) => useInboxShortcuts(h, enabled), {
      initialProps: { h: first, enabled: true },
    });
    rerender({ h: second, enabled: true });
    fireEvent.keyDown(document.body, { key: "k" });
    expect(first.previous).not.toHaveBeenCalled();
    expect(second.previous).toHaveBeenCalledTimes(1);
    rerender({ h: second, enabled: false });
    fireEvent.keyDown(document.body, { key: "k" });
    expect(second.previous).toHaveBeenCalledTimes(1);
    rerender({ h: second, enabled: true });
    unmount();
    fireEvent.keyDown(document.body, { key: "k" });
    expect(second.previous).toHaveBeenCalledTimes(1);
  });
});
