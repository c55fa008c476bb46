import { Compass } from "lucide-react";
import { Link } from "react-router";

import { Button } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";

export function NotFoundRoute() {
  return (
    <main className="flex h-full items-center justify-center">
      <EmptyState icon={Compass} title="Page not found" description="There is nothing at this address.">
        <Button asChild variant="outline" size="sm">
          <Link to="/inbox">Go to inbox</Link>
        </Button>
      </EmptyState>
    </main>
  );
}
