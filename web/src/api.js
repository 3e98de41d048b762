// Reads vgwd's JSON API (src/api/http_server.h): the same data `vgwctl -j show`
// prints. Optional parts (EVPN, routes) answer 404 on a vgwd without them and
// 400 when the feature is off; the page then says so instead of failing.

export class ApiError extends Error {
  constructor(path, status, message) {
    super(`${path}: ${status ? `HTTP ${status}: ` : ''}${message}`);
    this.status = status;
  }
}

export async function getJson(path, timeoutMs = 4000) {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), timeoutMs);
  let res;
  try {
    res = await fetch(path, { cache: 'no-store', headers: { Accept: 'application/json' }, signal: ctl.signal });
  } catch (e) {
    throw new ApiError(path, 0, ctl.signal.aborted ? 'no answer in time' : 'vgwd unreachable');
  } finally {
    clearTimeout(timer);
  }
  let body = null;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  if (!res.ok) throw new ApiError(path, res.status, (body && body.error) || res.statusText);
  return body;
}

const absentUntil = new Map(); // path -> time to ask again (a restarted vgwd may have it)
const ABSENT_RECHECK_MS = 30000;

// An endpoint that may not exist on this vgwd: {state: 'ok'|'off'|'absent', data, error}.
export async function getOptional(path) {
  const key = path.split('?')[0];
  if ((absentUntil.get(key) || 0) > Date.now()) return { state: 'absent', data: null };
  try {
    return { state: 'ok', data: await getJson(path) };
  } catch (e) {
    if (e.status === 404 || e.status === 405) {
      absentUntil.set(key, Date.now() + ABSENT_RECHECK_MS);
      return { state: 'absent', data: null, error: e.message };
    }
    if (e.status === 400) return { state: 'off', data: null, error: e.message };
    throw e;
  }
}
