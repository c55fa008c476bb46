import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { createTypingNotifier } from "./typing-notifier";

describe("typing notifier", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("starts on the first keystroke and at most every 3 s while keys keep coming", () => {
    const send = vi.fn();
    const notifier = createTypingNotifier(send);

    notifier.input();
    expect(send.mock.calls).toEqual([[true]]);
    for (let i = 0; i < 5; i += 1) {
      vi.advanceTimersByTime(500);
      notifier.input();
    }
    expect(send.mock.calls).toEqual([[true]]); // 2.5 s in: no second start yet
    vi.advanceTimersByTime(500);
    notifier.input();
    expect(send.mock.calls).toEqual([[true], [true]]);
  });

  it("stops after 3 s without a keystroke", () => {
    const send = vi.fn();
    const notifier = createTypingNotifier(send);
    notifier.input();
    vi.advanceTimersByTime(2_900);
    expect(send.mock.calls).toEqual([[true]]);
    vi.advanceTimersByTime(100);
    expect(send.mock.calls).toEqual([[true], [false]]);

    // Typing again starts again at once.
    notifier.input();
    expect(send.mock.calls).toEqual([[true], [false], [true]]);
  });

  it("stops at once on send or blur, and only if typing", () => {
    const send = vi.fn();
    const notifier = createTypingNotifier(send);
    notifier.stop();
    expect(send).not.toHaveBeenCalled();

    notifier.input();
    notifier.stop();
    notifier.stop();
    vi.advanceTimersByTime(10_000);
    expect(send.mock.calls).toEqual([[true], [false]]);
  });
});
