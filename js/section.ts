/**
 * A collapsible section of cards (TensorBoard groups cards by tag prefix, or by tag): a header
 * button with a caret, the group's name (as text, never HTML) and a count, then a `.nbtb-grid`
 * for the cards. `collapsed` is the owner's set of collapsed groups, so the state survives
 * re-renders of the tab.
 */
export function collapsibleSection(group: string, collapsed: Set<string>): HTMLElement {
  const section = document.createElement("section");
  section.className = "nbtb-section";
  section.dataset.testid = "section";
  section.dataset.group = group;
  const head = document.createElement("button");
  head.type = "button";
  head.className = "nbtb-section-head";
  const caret = document.createElement("span");
  caret.className = "nbtb-caret";
  const name = document.createElement("span");
  name.className = "nbtb-section-name";
  name.textContent = group;
  const count = document.createElement("span");
  count.className = "nbtb-section-count";
  head.append(caret, name, count);
  const grid = document.createElement("div");
  grid.className = "nbtb-grid";
  const setCollapsed = (c: boolean): void => {
    section.classList.toggle("nbtb-collapsed", c);
    head.setAttribute("aria-expanded", String(!c));
    grid.hidden = c;
  };
  head.addEventListener("click", () => {
    const c = !collapsed.has(group);
    if (c) collapsed.add(group);
    else collapsed.delete(group);
    setCollapsed(c);
  });
  setCollapsed(collapsed.has(group));
  section.append(head, grid);
  return section;
}
