import { describe, expect, it } from "vitest";

import { uniqueItems } from "./pages";

describe("uniqueItems", () => {
  it("keeps page order and drops an item a later page repeats", () => {
    const pages = [{ items: [{ id: "a" }, { id: "b" }] }, { items: [{ id: "b" }, { id: "c" }] }];
    expect(uniqueItems(pages).map((i) => i.id)).toEqual(["a", "b", "c"]);
  });

  it("is empty before anything has loaded", () => {
    expect(uniqueItems(undefined)).toEqual([]);
  });
});
