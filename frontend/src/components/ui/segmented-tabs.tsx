import { cn } from "@/lib/utils";

export interface SegmentedTab<T> {
  label: string;
  value: T;
}

export interface SegmentedTabsProps<T> {
  tabs: readonly SegmentedTab<T>[];
  value: T;
  onChange: (value: T) => void;
  /** What the tabs choose, for screen readers. */
  label: string;
  testId?: string;
  className?: string;
}

/** A row of tabs that picks one value, e.g. a status or a period filter. */
export function SegmentedTabs<T>({ tabs, value, onChange, label, testId, className }: SegmentedTabsProps<T>) {
  return (
    <div
      role="tablist"
      aria-label={label}
      data-testid={testId}
      className={cn("inline-flex max-w-full items-center gap-0.5 overflow-x-auto rounded-lg bg-muted p-0.5", className)}
    >
      {tabs.map((tab) => {
        const selected = tab.value === value;
        return (
          <button
            key={tab.label}
            type="button"
            role="tab"
            aria-selected={selected}
            onClick={() => onChange(tab.value)}
            className={cn(
              "rounded-md px-2.5 py-1 text-sm font-medium whitespace-nowrap transition-colors sm:px-3 focus-visible:ring-2 focus-visible:ring-ring focus-visible:outline-none",
              selected ? "bg-background text-foreground shadow-xs" : "text-muted-foreground hover:text-foreground",
            )}
          >
            {tab.label}
          </button>
        );
      })}
    </div>
  );
}
