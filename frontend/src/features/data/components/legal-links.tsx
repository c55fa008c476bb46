import { cn } from "@/lib/utils";

/** The operator's public legal pages (served by the API, editable templates in legal/). */
const LEGAL_PAGES = [
  { href: "/api/legal/privacy", label: "Privacy policy", testId: "legal-privacy" },
  { href: "/api/legal/terms", label: "Terms of service", testId: "legal-terms" },
  { href: "/api/legal/data-deletion", label: "Data deletion", testId: "legal-data-deletion" },
] as const;

/** A line of links to the legal pages (inline, so it fits in a sentence or a footer). */
export function LegalLinks({ className }: { className?: string }) {
  return (
    <span data-testid="legal-links" className={cn("flex flex-wrap items-center justify-center gap-x-3 gap-y-1 text-xs text-muted-foreground", className)}>
      {LEGAL_PAGES.map((page) => (
        <a
          key={page.href}
          href={page.href}
          target="_blank"
          rel="noopener noreferrer"
          data-testid={page.testId}
          className="underline-offset-4 hover:text-foreground hover:underline"
        >
          {page.label}
        </a>
      ))}
    </span>
  );
}
