/** Small DOM helpers: elements from a tag, attributes and children; text is always set as text, never as HTML. */

type Child = Node | string | null | undefined | false;

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Readonly<Record<string, string>> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  for (const child of children) if (child) node.append(child);
  return node;
}

/** An element holding SVG text made by frontier.ts (its own markup, every label escaped there). */
export function svgBlock(svg: string, className: string): HTMLDivElement {
  const div = el('div', { class: className });
  div.innerHTML = svg;
  return div;
}

export function fmtBytes(bytes: number): string {
  return bytes >= 2 ** 20 ? `${(bytes / 2 ** 20).toFixed(1)} MB` : `${(bytes / 1024).toFixed(0)} KB`;
}

export function fmtMs(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? '–' : ms < 10 ? ms.toFixed(2) : ms.toFixed(1);
}

/** A visible error with the server's code and message. */
export function errorBox(code: string, message: string): HTMLElement {
  return el('p', { class: 'error', role: 'alert' }, el('strong', {}, code), ` ${message}`);
}
