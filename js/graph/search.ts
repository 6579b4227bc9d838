/**
 * Node search: case-insensitive substring over full node names (embedded Const/Summary nodes
 * included, found through their host), best matches first: exact name, then name ending with the
 * query, then shortest.
 */
import type { Hierarchy } from "./hierarchy";

export interface Hit {
  index: number;
  name: string;
}

export function searchNodes(h: Hierarchy, query: string, limit = 30): Hit[] {
  const q = query.trim().toLowerCase();
  if (!q) return [];
  const hits: { index: number; name: string; rank: number }[] = [];
  const names = h.data.name;
  for (let i = 0; i < names.length; i++) {
    const lower = names[i].toLowerCase();
    const at = lower.indexOf(q);
    if (at < 0) continue;
    const rank = lower === q ? 0 : lower.endsWith(q) ? 1 : 2;
    hits.push({ index: i, name: names[i], rank });
  }
  hits.sort((a, b) => a.rank - b.rank || a.name.length - b.name.length || (a.name < b.name ? -1 : 1));
  return hits.slice(0, limit).map(({ index, name }) => ({ index, name }));
}
