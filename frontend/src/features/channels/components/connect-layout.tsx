import { ArrowLeft, Link2Off } from "lucide-react";
import type { ReactNode } from "react";
import { Link } from "react-router";

import { LoadError as SharedLoadError } from "@/components/load-error";
import { Button } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";
import { Spinner } from "@/components/ui/spinner";

/** The frame of the pages the Facebook dialog comes back to. */
export function ConnectLayout({ title, description, children }: { title: string; description: ReactNode; children: ReactNode }) {
  return (
    <div className="h-full overflow-y-auto">
      <div className="mx-auto grid max-w-2xl gap-6 px-4 py-8 sm:px-6">
        <div className="grid gap-2">
          <Link
            to="/channels"
            className="flex w-fit items-center gap-1 text-sm text-muted-foreground hover:text-foreground"
          >
            <ArrowLeft className="size-4" aria-hidden />
            Channels
          </Link>
          <h1 className="text-2xl font-semibold tracking-tight">{title}</h1>
          <p className="text-sm text-muted-foreground">{description}</p>
        </div>
        {children}
      </div>
    </div>
  );
}

export function StartAgainButton() {
  return (
    <Button asChild variant="outline" size="sm">
      <Link to="/channels">Start again from Channels</Link>
    </Button>
  );
}

/** The link from Facebook lost its `account` (or was opened by hand). */
export function MissingAccount() {
  return (
    <EmptyState
      icon={Link2Off}
      title="This link has expired or is incomplete"
      description="It needs the Facebook sign-in it came from. Start again from the Channels page."
    >
      <StartAgainButton />
    </EmptyState>
  );
}

export function LoadingBlock({ label }: { label: string }) {
  return (
    <div className="flex items-center justify-center gap-2 py-12 text-sm text-muted-foreground">
      <Spinner className="size-5" label={label} />
      {label}
    </div>
  );
}

export function LoadError({ error, onRetry }: { error: unknown; onRetry: () => void }) {
  return <SharedLoadError error={error} onRetry={onRetry} testId="connect-load-error" />;
}
