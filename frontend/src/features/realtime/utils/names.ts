/** "Ana", "Ana and Ben", "Ana, Ben and 2 others". */
export function joinNames(names: readonly string[]): string {
  if (names.length <= 1) return names[0] ?? "Someone";
  if (names.length === 2) return `${names[0]} and ${names[1]}`;
  if (names.length === 3) return `${names[0]}, ${names[1]} and ${names[2]}`;
  return `${names[0]}, ${names[1]} and ${names.length - 2} others`;
}

/** "is" for one person, "are" for more. */
export function verb(count: number, one: string, many: string): string {
  return count === 1 ? one : many;
}
