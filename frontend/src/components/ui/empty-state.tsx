import type { LucideIcon } from "lucide-react";
import type { ReactNode } from "react";

import { cn } from "@/lib/utils";

export interface EmptyStateProps {
  icon: LucideIcon;
  title: string;
  description?: ReactNode;
  className?: string;
  children?: ReactNode;
}

export function EmptyState({ icon: Icon, title, description, className, children }: EmptyStateProps) {
  return (
    <div className={cn("flex flex-col items-center justify-center gap-3 px-8 py-12 text-center", className)}>
      <span className="flex size-12 items-center justify-center rounded-full bg-muted">
        <Icon className="size-6 text-muted-foreground" aria-hidden />
      </span>
      <div className="grid gap-1">
        <p className="text-sm font-medium">{title}</p>
        {description !== undefined && <p className="max-w-xs text-sm text-muted-foreground">{description}</p>}
      </div>
      {children}
    </div>
  );
}
