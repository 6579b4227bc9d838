/**
 * Markdown from a log, rendered as TensorBoard's text plugin does (marked, GFM tables and
 * code fences) and sanitized with DOMPurify against an allowlist: no script, no event
 * handler, no style, no URL other than http(s) (and relative/fragment links). Nothing a
 * log contains can run in the page.
 */
import DOMPurify from "dompurify";
import { marked } from "marked";

/** Tags TensorBoard's text plugin lets through (its markdown allowlist), nothing else. */
export const ALLOWED_TAGS = [
  "a", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i",
  "li", "ol", "p", "pre", "s", "span", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead",
  "tr", "ul",
];
export const ALLOWED_ATTR = ["href", "title", "align", "colspan", "rowspan", "start"];
/** http(s) and mailto links, relative paths and #fragments; anything else (javascript:, data:) is dropped. */
const SAFE_URL = /^(?:https?:\/\/|#)/i;

let purifier: ReturnType<typeof DOMPurify> | null = null;

function getPurifier(): ReturnType<typeof DOMPurify> {
  if (purifier) return purifier;
  const p = DOMPurify(window);
  p.addHook("afterSanitizeAttributes", (node) => {
    if (node.nodeName === "A") {
      const href = node.getAttribute("href") ?? "";
      if (!/^https?:\/\//i.test(href) && !href.startsWith("#")) node.removeAttribute("href");
      else if (!href.startsWith("#")) {
        // Links open outside the notebook, without access to it.
        node.setAttribute("target", "_blank");
        node.setAttribute("rel", "noopener noreferrer nofollow");
      }
    }
  });
  purifier = p;
  return p;
}

/** Sanitized HTML for a markdown string. */
export function renderMarkdown(text: string): string {
  const html = marked.parse(String(text ?? ""), { async: false, gfm: true, breaks: false }) as string;
  return getPurifier().sanitize(html, {
    ALLOWED_TAGS,
    ALLOWED_ATTR: [...ALLOWED_ATTR, "target", "rel"],
    ALLOWED_URI_REGEXP: SAFE_URL,
    ALLOW_DATA_ATTR: false,
    ALLOW_ARIA_ATTR: false,
  }) as string;
}

const ALLOWED = new Set(ALLOWED_TAGS);
const ATTRS = new Set([...ALLOWED_ATTR, "target", "rel"]);
/** Elements dropped with everything inside them; other unknown elements keep their text. */
const DROP = new Set(["script", "style", "iframe", "object", "embed", "svg", "math", "template", "noscript", "textarea", "title", "select", "frame", "frameset", "head", "link", "meta", "base", "form"]);

/**
 * Second, independent pass over the (inert, template-parsed) DOM: only allowlisted
 * elements and attributes stay, links only with http(s) or #fragment targets. It does not
 * depend on DOMPurify working in the host (some DOM implementations break it silently).
 */
export function cleanTree(parent: Node): void {
  for (const node of [...parent.childNodes]) {
    if (node.nodeType === 3) continue; // text
    if (node.nodeType !== 1) {
      node.parentNode?.removeChild(node); // comments, processing instructions
      continue;
    }
    const elem = node as Element;
    const tag = elem.localName.toLowerCase();
    if (!ALLOWED.has(tag) || elem.namespaceURI !== "http://www.w3.org/1999/xhtml") {
      if (DROP.has(tag)) elem.remove();
      else {
        cleanTree(elem);
        elem.replaceWith(...[...elem.childNodes]);
      }
      continue;
    }
    for (const attr of [...elem.attributes]) {
      const name = attr.name.toLowerCase();
      if (!ATTRS.has(name)) elem.removeAttribute(attr.name);
    }
    if (tag === "a") {
      const href = (elem.getAttribute("href") ?? "").trim();
      if (!/^https?:\/\//i.test(href) && !/^#[\w-]*$/.test(href)) elem.removeAttribute("href");
      if (elem.hasAttribute("href") && !href.startsWith("#")) {
        elem.setAttribute("target", "_blank");
        elem.setAttribute("rel", "noopener noreferrer nofollow");
      } else {
        elem.removeAttribute("target");
        elem.removeAttribute("rel");
      }
    } else {
      elem.removeAttribute("target");
      elem.removeAttribute("rel");
    }
    cleanTree(elem);
  }
}

/** Fills `el` with the rendered markdown: DOMPurify, then an inert parse and our own allowlist pass. */
export function setMarkdown(el: HTMLElement, text: string): void {
  const tpl = document.createElement("template");
  tpl.innerHTML = renderMarkdown(text); // template content is inert: nothing loads or runs
  cleanTree(tpl.content);
  el.replaceChildren(...[...tpl.content.childNodes].map((n) => document.importNode(n, true)));
}
