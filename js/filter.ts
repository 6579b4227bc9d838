/**
 * The run and tag filters: a regex typed by the user, matched case-insensitively.
 * A half-typed or invalid regex ("loss(") falls back to a plain substring match so the
 * list never goes blank while the user is typing (protocol: invalid regex = plain text).
 */
export function makeMatcher(pattern: string): (s: string) => boolean {
  if (!pattern) return () => true;
  try {
    const re = new RegExp(pattern, "i");
    return (s) => re.test(s);
  } catch {
    const p = pattern.toLowerCase();
    return (s) => s.toLowerCase().includes(p);
  }
}

/** TB groups cards by the tag's prefix before the first "/"; a tag without one is its own group. */
export function tagGroup(tag: string): string {
  const i = tag.indexOf("/");
  return i > 0 ? tag.slice(0, i) : tag;
}

/** Tags grouped by prefix, groups and tags sorted, keeping only tags that pass `keep`. */
export function groupTags(tags: Iterable<string>, keep: (tag: string) => boolean): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const tag of [...tags].sort()) {
    if (!keep(tag)) continue;
    const g = tagGroup(tag);
    const list = groups.get(g);
    if (list) list.push(tag);
    else groups.set(g, [tag]);
  }
  return new Map([...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
