import { describe, expect, it } from "vitest";

import { normalizeLabel } from "./labels";
import { phoneProblem } from "./phone";
import { insertSavedReply, slashToken } from "./saved-reply-token";

describe("slashToken", () => {
  it("finds a /shortcut being typed at the start of a word", () => {
    expect(slashToken("/", 1)).toEqual({ start: 0, prefix: "" });
    expect(slashToken("Hi /Tha", 7)).toEqual({ start: 3, prefix: "tha" });
    expect(slashToken("Hi\n/th", 6)).toEqual({ start: 3, prefix: "th" });
    // The caret decides: text after it does not count.
    expect(slashToken("Hi /thanks there", 6)).toEqual({ start: 3, prefix: "th" });
  });

  it("ignores a slash inside a word, a path, or a finished word", () => {
    expect(slashToken("and/or", 6)).toBeNull();
    expect(slashToken("see /a/b", 8)).toBeNull();
    expect(slashToken("Hi /thanks ", 11)).toBeNull();
    expect(slashToken("Hi", 2)).toBeNull();
  });
});

describe("insertSavedReply", () => {
  it("replaces the token and puts the caret after the inserted text", () => {
    const text = "Hi /th, bye";
    expect(insertSavedReply(text, { start: 3, prefix: "th" }, 6, { text: "Thanks!" })).toEqual({ text: "Hi Thanks!, bye", caret: 10 });
  });
});

describe("normalizeLabel", () => {
  it("stores labels as the server does", () => {
    expect(normalizeLabel("  VIP  Customer ")).toEqual({ label: "vip-customer" });
    expect(normalizeLabel("Größe_1")).toEqual({ label: "größe_1" });
    expect(normalizeLabel("   ")).toEqual({ problem: "A label must not be empty." });
    expect(normalizeLabel("a".repeat(33))).toEqual({ problem: "A label has at most 32 characters." });
    expect(normalizeLabel("no!")).toEqual({ problem: "Use letters, digits, '-' and '_' only." });
  });
});

describe("phoneProblem", () => {
  it("refuses what the server surely refuses, and leaves the rest to it", () => {
    expect(phoneProblem("")).toBe("Enter the customer's WhatsApp number.");
    expect(phoneProblem("+44 20 7946 0003 ext 2")).toMatch(/digits only/);
    expect(phoneProblem("020 7946 0003")).toMatch(/international format/);
    expect(phoneProblem("+44 (20) 7946-0003")).toBeNull();
    expect(phoneProblem("0044 20 7946 0003")).toBeNull();
  });
});
