import { describe, expect, it } from "vitest";

import { hostnameOf, openStreetMapUrl, safeExternalUrl } from "./url";

describe("url", () => {
  it("only lets http(s) links through", () => {
    expect(safeExternalUrl("https://acme.test/a?b=1")).toBe("https://acme.test/a?b=1");
    expect(safeExternalUrl(" http://acme.test ")).toBe("http://acme.test/");
    expect(safeExternalUrl("javascript:alert(1)")).toBeNull();
    expect(safeExternalUrl("data:text/html,hi")).toBeNull();
    expect(safeExternalUrl("/relative")).toBeNull();
    expect(safeExternalUrl(42)).toBeNull();
  });

  it("names a link's site and builds map links", () => {
    expect(hostnameOf("https://www.acme.test/x")).toBe("acme.test");
    expect(openStreetMapUrl(48.8584, 2.2945)).toBe("https://www.openstreetmap.org/?mlat=48.8584&mlon=2.2945#map=16/48.8584/2.2945");
    expect(openStreetMapUrl(10, -20.5)).toBe("https://www.openstreetmap.org/?mlat=10&mlon=-20.5#map=16/10/-20.5");
  });
});
