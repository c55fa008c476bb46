import { describe, expect, it } from "vitest";

import { EMPTY_VIEW, filtersOf, rangeIsBackwards } from "./filters";

describe("audit log filters", () => {
  it("turns local days into an inclusive range of instants", () => {
    const filters = filtersOf({ ...EMPTY_VIEW, from: "2026-11-01", to: "2026-11-03" });
    expect(filters.since).toBe(new Date(2026, 10, 1).toISOString());
    expect(filters.until).toBe(new Date(2026, 10, 4).toISOString());
  });

  it("rolls the end of a month over", () => {
    expect(filtersOf({ ...EMPTY_VIEW, to: "2026-11-30" }).until).toBe(new Date(2026, 11, 1).toISOString());
  });

  it("reads the actor as a member or a kind of actor", () => {
    expect(filtersOf({ ...EMPTY_VIEW, actor: "user:u1" })).toMatchObject({ actorUserId: "u1", actorType: null });
    expect(filtersOf({ ...EMPTY_VIEW, actor: "type:system" })).toMatchObject({ actorUserId: null, actorType: "system" });
    expect(filtersOf({ ...EMPTY_VIEW, actor: "type:robot" })).toMatchObject({ actorUserId: null, actorType: null });
  });

  it("ignores a day it cannot read and spots a backwards range", () => {
    expect(filtersOf({ ...EMPTY_VIEW, from: "yesterday" }).since).toBeNull();
    expect(rangeIsBackwards({ ...EMPTY_VIEW, from: "2026-11-05", to: "2026-11-01" })).toBe(true);
    expect(rangeIsBackwards({ ...EMPTY_VIEW, from: "2026-11-01", to: "2026-11-01" })).toBe(false);
  });
});
