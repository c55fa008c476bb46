import { describe, expect, it, vi } from "vitest";

import { leaveForUrl } from "./navigation";

describe("leaveForUrl", () => {
  it("follows http(s) URLs and refuses anything else", () => {
    const assign = vi.fn();
    vi.stubGlobal("location", { href: "http://parley.test/channels", assign });

    leaveForUrl("https://facebook.test/dialog/oauth?state=x");
    expect(assign).toHaveBeenCalledWith("https://facebook.test/dialog/oauth?state=x");

    expect(() => leaveForUrl("javascript:alert(1)")).toThrow("unusable sign-in address");
    expect(assign).toHaveBeenCalledTimes(1);
    vi.unstubAllGlobals();
  });
});
