// The log's filters: which sources show, the lowest severity shown, and a text search.
// Reports a new filter whenever one changes (the search after the user pauses typing).

import { SEVERITIES, SOURCES } from './store.js';

const SEARCH_PAUSE_MS = 150;

export function setUpFilters(form, onChange) {
  const sources = form.querySelector('.sources');
  const severity = form.querySelector('select[name=severity]');
  const search = form.querySelector('input[type=search]');
  for (const name of SOURCES) {
    const label = document.createElement('label');
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.checked = true;
    box.value = name;
    label.append(box, document.createTextNode(name));
    sources.append(label);
  }
  for (const name of SEVERITIES) {
    const option = document.createElement('option');
    option.value = name;
    option.textContent = `${name} and above`;
    severity.append(option);
  }
  const current = () => ({
    hiddenSources: new Set([...sources.querySelectorAll('input:not(:checked)')].map((box) => box.value)),
    minSeverity: SEVERITIES.indexOf(severity.value),
    search: search.value,
  });
  let pause = 0;
  form.addEventListener('submit', (event) => event.preventDefault());
  sources.addEventListener('change', () => onChange(current()));
  severity.addEventListener('change', () => onChange(current()));
  search.addEventListener('input', () => {
    clearTimeout(pause);
    pause = setTimeout(() => onChange(current()), SEARCH_PAUSE_MS);
  });
  return current;
}
