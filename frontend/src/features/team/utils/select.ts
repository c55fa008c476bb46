/** A native select styled like the inputs (easy to drive from a keyboard, a screen reader and tests). */
export const SELECT_CLASS =
  "h-9 rounded-md border border-input bg-background px-2 text-sm text-foreground shadow-xs focus-visible:ring-2 focus-visible:ring-ring focus-visible:outline-none disabled:cursor-not-allowed disabled:opacity-60";
