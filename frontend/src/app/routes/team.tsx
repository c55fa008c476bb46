// Placeholder until this page is built (issue 7).
export function TeamRoute() {
  return null;
}
