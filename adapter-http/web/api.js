// The server's API as the page uses it: same-origin fetch() with the login cookie, so every
// POST carries the page's Origin (the server requires it of cookie-authenticated commands).

export class Unauthorized extends Error {}

async function problemDetail(response) {
  try {
    const problem = await response.json();
    return problem.detail || `${response.status} ${response.statusText}`;
  } catch {
    return `${response.status} ${response.statusText}`;
  }
}

// `GET /v1/session`: the snapshot, with the session id.
export async function getSession() {
  const response = await fetch('/v1/session', { cache: 'no-store' });
  if (response.status === 401) throw new Unauthorized();
  if (!response.ok) throw new Error(await problemDetail(response));
  return response.json();
}

// A command: `play`, `stop` or `kill`. Answers the JSON outcome, or throws the problem's
// one line.
export async function command(name, body) {
  const response = await fetch(`/v1/${name}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? '' : JSON.stringify(body),
  });
  if (response.status === 401) throw new Unauthorized();
  if (!response.ok) throw new Error(await problemDetail(response));
  return response.json();
}
