import type { MessageDirection } from "@/lib/api/types";

/** Colours of things drawn inside a bubble (cards, quotes, chips) on either bubble colour. */
export interface BubbleTone {
  outbound: boolean;
  /** A card or quote inside the bubble. */
  surface: string;
  /** Secondary text. */
  muted: string;
  /** A link. */
  link: string;
  /** A small chip. */
  chip: string;
}

const INBOUND: BubbleTone = {
  outbound: false,
  surface: "border border-border/80 bg-background/80",
  muted: "text-muted-foreground",
  link: "text-primary underline-offset-2 hover:underline",
  chip: "border-primary/20 bg-primary/10 text-primary",
};

const OUTBOUND: BubbleTone = {
  outbound: true,
  surface: "border border-white/20 bg-white/12",
  muted: "text-primary-foreground/75",
  link: "text-primary-foreground underline underline-offset-2 hover:decoration-2",
  chip: "border-white/25 bg-white/15 text-primary-foreground",
};

export function bubbleTone(direction: MessageDirection): BubbleTone {
  return direction === "outbound" ? OUTBOUND : INBOUND;
}
