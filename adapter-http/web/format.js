// How times, durations and counts read on the page (as the command line writes them).

const pad = (number, width) => String(number).padStart(width, '0');

// Local time of day, to the millisecond: `16:24:48.224`.
export function timeOfDay(ms) {
  if (Number.isNaN(ms)) return '';
  const date = new Date(ms);
  return `${pad(date.getHours(), 2)}:${pad(date.getMinutes(), 2)}:${pad(date.getSeconds(), 2)}.${pad(date.getMilliseconds(), 3)}`;
}

// `506 ms`, `1.21 s`, `2 min 05 s`.
export function duration(ms) {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(2)} s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)} min ${pad(seconds % 60, 2)} s`;
}

export function count(number) {
  return number.toLocaleString('en-US');
}

// A command as a shell would read it back.
export function commandLine(words) {
  return words.map((word) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`)).join(' ');
}
