import { describe, expect, it } from "vitest";

import { highlightSnippet, searchTerms } from "./highlight";

const marked = (snippet: string, q: string) =>
  highlightSnippet(snippet, q)
    .filter((piece) => piece.hit)
    .map((piece) => piece.text);

describe("search snippet highlighting", () => {
  it("splits the query the way the server does", () => {
    expect(searchTerms('  "Refund," please!  refund ')).toEqual(["refund", "please"]);
  });

  it("marks whole words and prefixes of 3+ characters, case-insensitively", () => {
    expect(marked("Your Refund was refunded yesterday", "refun")).toEqual(["Refund", "refunded"]);
    expect(marked("The order A-123 is late", "a-123")).toEqual(["A-123"]);
  });

  it("matches short terms only as whole words", () => {
    expect(marked("go to the goal", "go")).toEqual(["go"]);
  });

  it("never marks the middle of a word", () => {
    expect(marked("prefund and refund", "refund")).toEqual(["refund"]);
  });

  it("keeps the text intact, pieces in order", () => {
    const pieces = highlightSnippet("Hi, about my refund: is it done?", "refund done");
    expect(pieces.map((p) => p.text).join("")).toBe("Hi, about my refund: is it done?");
    expect(pieces.filter((p) => p.hit).map((p) => p.text)).toEqual(["refund", "done"]);
  });

  it("handles accents and regex characters in the query", () => {
    expect(marked("Café crème brûlée", "CAFÉ")).toEqual(["Café"]);
    expect(marked("costs (1+1)*2 today", "(1+1)*2")).toEqual(["1+1)*2"]);
    expect(highlightSnippet("plain text", "")).toEqual([{ text: "plain text", hit: false }]);
  });
});
