// Building DOM nodes from data. Text always goes in as text nodes or
// textContent, never as markup: nothing a user typed can become HTML.

/**
 * h('li', {class: 'message', dataset: {id}}, child, 'text', ...)
 * Props: class, dataset, text, on<event> handlers; anything else is an attribute.
 */
export function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') {
      node.addEventListener(key.slice(2), value);
    } else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

export const $ = (id) => document.getElementById(id);

export function show(node, visible = true) {
  node.hidden = !visible;
}

/** Snowflakes as strings, compared as the integers they are. */
export function compareIds(a, b) {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function displayName(user, member) {
  return (member && member.nick) || user.global_name || user.username || 'unknown';
}

/** The first human-readable message in a Discord error body. */
export function errorMessage(body, fallback = 'Something went wrong') {
  if (!body || typeof body !== 'object') return fallback;
  const found = firstFieldError(body.errors);
  return found || body.message || fallback;
}

function firstFieldError(errors) {
  if (!errors || typeof errors !== 'object') return null;
  if (Array.isArray(errors._errors) && errors._errors.length) {
    return errors._errors[0].message || null;
  }
  for (const [field, value] of Object.entries(errors)) {
    const inner = firstFieldError(value);
    if (inner) return /^\d+$/.test(field) ? inner : `${field}: ${inner}`;
  }
  return null;
}
