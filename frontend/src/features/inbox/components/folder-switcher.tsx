import { ChevronDown } from "lucide-react";
import { useState } from "react";

import { Popover, PopoverContent, PopoverTrigger } from "@/components/ui/popover";
import type { Channel, ConversationCounts } from "@/lib/api/types";
import type { ConversationFilters } from "@/lib/query-keys";
import { cn } from "@/lib/utils";

import { activeView, viewCount, viewTitle } from "../utils/inbox-views";

import { FolderNav } from "./folder-nav";

export interface FolderSwitcherProps {
  filters: ConversationFilters;
  counts: ConversationCounts | undefined;
  channels: readonly Channel[];
  className?: string;
}

/**
 * The current folder as the list's title; opens the folder list in a menu (where there is
 * no room for the folder sidebar: laptops and phones).
 */
export function FolderSwitcher({ filters, counts, channels, className }: FolderSwitcherProps) {
  const [open, setOpen] = useState(false);
  const view = activeView(filters);
  const count = viewCount(view, counts);
  return (
    <Popover open={open} onOpenChange={setOpen}>
      <h2 className={cn("min-w-0", className)}>
        <PopoverTrigger
          data-testid="folder-switcher"
          className="-ml-1.5 flex max-w-full min-w-0 items-center gap-1.5 rounded-md px-1.5 py-1 text-left outline-none hover:bg-accent focus-visible:ring-2 focus-visible:ring-ring"
        >
          <span className="truncate text-base font-semibold">{viewTitle(view, channels)}</span>
          {count !== undefined && <span className="text-xs tabular-nums text-muted-foreground">{count}</span>}
          <ChevronDown className="size-4 shrink-0 text-muted-foreground" aria-hidden />
          <span className="sr-only">: switch folder</span>
        </PopoverTrigger>
      </h2>
      <PopoverContent align="start" className="max-h-[min(70vh,32rem)] w-[min(18rem,calc(100vw-5rem))] overflow-y-auto p-2">
        <FolderNav filters={filters} counts={counts} channels={channels} onNavigate={() => setOpen(false)} />
      </PopoverContent>
    </Popover>
  );
}
