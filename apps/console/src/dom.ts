type Child = Node | string | number | null | undefined | false | readonly Child[];
type Listener = (event: Event) => void;
export type Attrs = Record<string, string | number | boolean | null | undefined | Listener>;

function append(parent: Node, child: Child): void {
  if (child === null || child === undefined || child === false) return;
  if (Array.isArray(child)) for (const item of child) append(parent, item);
  else parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
}

/**
 * An element with attributes and children: `h('button', { type: 'button', onclick: go }, 'Go')`.
 * `on…` attributes become listeners; `true` sets an empty attribute; false, null and undefined set none.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === 'function') element.addEventListener(name.slice(2).toLowerCase(), value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

let ids = 0;
/** A document-unique id for label/aria wiring. */
export const uid = (prefix: string) => `${prefix}-${++ids}`;

/** Says `message` to screen readers through the page's polite live region. */
export function announce(message: string): void {
  const region = document.getElementById('announcer');
  if (!region) return;
  region.textContent = '';
  window.setTimeout(() => (region.textContent = message), 50);
}

/**
 * A labelled `<select>`; `onChange` gets the chosen value. `context` is read out after the label but not
 * shown, for pages with two selects of the same visible name ("Segment" for allocation).
 */
export function selectField(
  label: string,
  options: readonly { value: string; label: string }[],
  value: string,
  onChange: (value: string) => void,
  name = label.toLowerCase().replace(/\W+/g, '-'),
  context?: string,
): HTMLElement {
  const id = uid(name);
  const select = h(
    'select',
    { id, name, onchange: () => onChange(select.value) },
    options.map((option) =>
      h('option', { value: option.value, selected: option.value === value }, option.label),
    ),
  );
  return h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label, context ? h('span', { class: 'visually-hidden' }, ` ${context}`) : null),
    select,
  );
}
