import type { ComponentProps } from "react";

import { cn } from "@/lib/utils";

export interface ProgressProps extends Omit<ComponentProps<"div">, "children"> {
  /** 0..max; null draws an indeterminate bar (the total is not known yet). */
  value: number | null;
  max?: number;
}

export function Progress({ value, max = 100, className, ...props }: ProgressProps) {
  const percent = value === null || max <= 0 ? null : Math.min(100, Math.max(0, (value / max) * 100));
  return (
    <div
      role="progressbar"
      aria-valuemin={0}
      aria-valuemax={max}
      aria-valuenow={value ?? undefined}
      data-slot="progress"
      className={cn("relative h-1.5 w-full overflow-hidden rounded-full bg-primary/15", className)}
      {...props}
    >
      <div
        data-slot="progress-indicator"
        className={cn("h-full rounded-full bg-primary transition-[width]", percent === null && "w-1/3 animate-pulse")}
        style={percent === null ? undefined : { width: `${percent}%` }}
      />
    </div>
  );
}
