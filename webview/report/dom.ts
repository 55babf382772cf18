/**
 * A tiny element builder. Children that are strings become Text nodes, so anything that came from
 * the CSV (column names, category values, file names) is displayed as characters and never parsed
 * as markup. Nothing in the report uses innerHTML.
 */

export type Child = Node | string | number | null | undefined | false;

export interface Props {
  class?: string;
  /** Tooltip text (an attribute value, never markup). */
  title?: string;
  attrs?: Record<string, string>;
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props?: Props | string | null,
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  const p: Props = typeof props === 'string' ? { class: props } : (props ?? {});
  if (p.class) el.className = p.class;
  if (p.title !== undefined) el.setAttribute('title', p.title);
  if (p.attrs) for (const [k, v] of Object.entries(p.attrs)) el.setAttribute(k, v);
  append(el, children);
  return el;
}

/** A custom element (e.g. a vscode-elements component) built the same way. */
export function custom(tag: string, props?: Props | string | null, ...children: (Child | Child[])[]): HTMLElement {
  return h(tag as keyof HTMLElementTagNameMap, props, ...children);
}

export function append(el: Node, children: (Child | Child[])[]): void {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.appendChild(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
  }
}

export function text(value: string): Text {
  return document.createTextNode(value);
}
