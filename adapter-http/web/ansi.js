// The children's ANSI escapes: SGR colours and attributes are rendered, every other escape
// sequence (cursor moves, erasures, titles, hyperlinks, modes) is removed and has no effect.
// Pure: text in, styled segments out; the row renders them with textContent.

const ESC = '\x1b';

// The 256-colour palette beyond the first 16 (a 6x6x6 cube, then 24 greys), as CSS.
function paletteColour(index) {
  if (index < 232) {
    const n = index - 16;
    const level = (v) => (v === 0 ? 0 : 55 + v * 40);
    return `rgb(${level(Math.floor(n / 36))}, ${level(Math.floor(n / 6) % 6)}, ${level(n % 6)})`;
  }
  const grey = 8 + (index - 232) * 10;
  return `rgb(${grey}, ${grey}, ${grey})`;
}

// A colour: a number 0..15 (a class of the stylesheet) or a CSS colour string.
function extendedColour(params, at) {
  if (params[at] === 5 && at + 1 < params.length) {
    const index = params[at + 1];
    if (index >= 0 && index < 16) return { colour: index, next: at + 2 };
    if (index >= 16 && index < 256) return { colour: paletteColour(index), next: at + 2 };
    return { colour: null, next: at + 2 };
  }
  if (params[at] === 2 && at + 3 < params.length) {
    const [r, g, b] = params.slice(at + 1, at + 4).map((v) => Math.max(0, Math.min(255, v)));
    return { colour: `rgb(${r}, ${g}, ${b})`, next: at + 4 };
  }
  return { colour: null, next: params.length };
}

function applySgr(style, text) {
  const params = text === '' ? [0] : text.split(/[;:]/).map((p) => (p === '' ? 0 : Number(p)));
  const next = { ...style };
  for (let i = 0; i < params.length; i += 1) {
    const p = params[i];
    if (p === 0) Object.assign(next, { fg: null, bg: null, bold: false, dim: false, italic: false, underline: false, inverse: false, strike: false });
    else if (p === 1) next.bold = true;
    else if (p === 2) next.dim = true;
    else if (p === 3) next.italic = true;
    else if (p === 4) next.underline = true;
    else if (p === 7) next.inverse = true;
    else if (p === 9) next.strike = true;
    else if (p === 22) Object.assign(next, { bold: false, dim: false });
    else if (p === 23) next.italic = false;
    else if (p === 24) next.underline = false;
    else if (p === 27) next.inverse = false;
    else if (p === 29) next.strike = false;
    else if (p >= 30 && p <= 37) next.fg = p - 30;
    else if (p === 39) next.fg = null;
    else if (p >= 40 && p <= 47) next.bg = p - 40;
    else if (p === 49) next.bg = null;
    else if (p >= 90 && p <= 97) next.fg = p - 90 + 8;
    else if (p >= 100 && p <= 107) next.bg = p - 100 + 8;
    else if (p === 38 || p === 48) {
      const { colour, next: after } = extendedColour(params, i + 1);
      if (p === 38) next.fg = colour;
      else next.bg = colour;
      i = after - 1;
    }
  }
  return next;
}

// Where the escape sequence starting at `at` (an ESC) ends, exclusive, and its SGR parameters
// when it is one (else null).
function escapeAt(text, at) {
  const kind = text[at + 1];
  if (kind === '[') {
    let end = at + 2;
    while (end < text.length) {
      const code = text.charCodeAt(end);
      if (code >= 0x40 && code <= 0x7e) {
        const sgr = text[end] === 'm' ? text.slice(at + 2, end) : null;
        // Private or intermediate bytes make it something other than a plain SGR.
        return { end: end + 1, sgr: sgr !== null && /^[\d;:]*$/.test(sgr) ? sgr : null };
      }
      end += 1;
    }
    return { end: text.length, sgr: null };
  }
  if (kind === ']' || kind === 'P' || kind === 'X' || kind === '^' || kind === '_') {
    // A string: up to BEL or ESC \.
    let end = at + 2;
    while (end < text.length) {
      if (text[end] === '\x07') return { end: end + 1, sgr: null };
      if (text[end] === ESC && text[end + 1] === '\\') return { end: end + 2, sgr: null };
      end += 1;
    }
    return { end: text.length, sgr: null };
  }
  // ESC, intermediates (0x20-0x2f), one final byte.
  let end = at + 1;
  while (end < text.length && text.charCodeAt(end) >= 0x20 && text.charCodeAt(end) <= 0x2f) end += 1;
  return { end: Math.min(end + 1, text.length), sgr: null };
}

const PLAIN = { fg: null, bg: null, bold: false, dim: false, italic: false, underline: false, inverse: false, strike: false };

// Splits `text` into `{ text, style }` segments; escapes are gone from the text.
export function parseAnsi(text) {
  const segments = [];
  let style = PLAIN;
  let from = 0;
  let at = text.indexOf(ESC);
  while (at >= 0) {
    if (at > from) segments.push({ text: text.slice(from, at), style });
    const { end, sgr } = escapeAt(text, at);
    if (sgr !== null) style = applySgr(style, sgr);
    from = end;
    at = text.indexOf(ESC, from);
  }
  if (from < text.length) segments.push({ text: text.slice(from), style });
  return segments;
}

// The text without any escape, for search and saving.
export function stripAnsi(text) {
  return text.indexOf(ESC) < 0 ? text : parseAnsi(text).map((segment) => segment.text).join('');
}
