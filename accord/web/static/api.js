// The REST client: tokens in session storage, refreshed before they expire;
// a 429 is waited out and retried; a 401 that a refresh cannot cure ends the
// session ('unauthorized'), and the page goes back to the login form.

import { sleep } from './dom.js';

const TOKENS_KEY = 'accord.tokens';
// Refresh this long before the access token expires, so no request races it.
const REFRESH_MARGIN_MS = 60_000;
// A rate-limited or unreachable request is tried at most this many times.
const MAX_ATTEMPTS = 6;

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

export class Api extends EventTarget {
  constructor(base = '/api/v10') {
    super();
    this.base = base;
    this.tokens = readTokens();
    this.refreshing = null;
    this.refreshTimer = null;
    if (this.tokens) this.scheduleRefresh();
  }

  get loggedIn() {
    return this.tokens !== null;
  }

  get accessToken() {
    return this.tokens ? this.tokens.access_token : null;
  }

  async register(username, email, password) {
    this.setTokens(await this.request('POST', '/auth/register', { username, email, password }, { auth: false }));
  }

  async login(email, password) {
    this.setTokens(await this.request('POST', '/auth/login', { email, password }, { auth: false }));
  }

  async logout() {
    try {
      if (this.tokens) await this.request('POST', '/auth/logout', undefined, { retry: false });
    } finally {
      this.clearTokens();
    }
  }

  setTokens(response) {
    this.tokens = {
      access_token: response.access_token,
      refresh_token: response.refresh_token,
      expires_at: Date.now() + response.expires_in * 1000,
    };
    sessionStorage.setItem(TOKENS_KEY, JSON.stringify(this.tokens));
    this.scheduleRefresh();
  }

  clearTokens() {
    this.tokens = null;
    sessionStorage.removeItem(TOKENS_KEY);
    clearTimeout(this.refreshTimer);
  }

  scheduleRefresh() {
    clearTimeout(this.refreshTimer);
    const lifetime = this.tokens.expires_at - Date.now();
    const delay = Math.max(1_000, Math.min(lifetime - REFRESH_MARGIN_MS, lifetime / 2));
    this.refreshTimer = setTimeout(() => this.refresh(), delay);
  }

  /** Trade the refresh token for new tokens; false (and 'unauthorized') if refused. */
  refresh() {
    if (!this.refreshing) {
      this.refreshing = this.doRefresh().finally(() => {
        this.refreshing = null;
      });
    }
    return this.refreshing;
  }

  async doRefresh() {
    if (!this.tokens) return false;
    try {
      const body = { refresh_token: this.tokens.refresh_token };
      this.setTokens(await this.request('POST', '/auth/refresh', body, { auth: false }));
      return true;
    } catch (error) {
      if (error instanceof ApiError && error.status > 0) {
        this.clearTokens();
        this.dispatchEvent(new Event('unauthorized'));
      } else {
        // The server is unreachable: try again shortly, the token may still be good.
        this.refreshTimer = setTimeout(() => this.refresh(), 5_000);
      }
      return false;
    }
  }

  /**
   * One API call; resolves to the parsed JSON body (null for 204).
   * Options: auth (send the access token, default true), retry (wait out 429s
   * and network failures, default true).
   */
  async request(method, path, body, { auth = true, retry = true } = {}) {
    let refreshed = false;
    for (let attempt = 1; ; attempt++) {
      if (auth && this.tokens && this.tokens.expires_at - Date.now() < REFRESH_MARGIN_MS / 2) {
        await this.refresh();
      }
      if (auth && !this.tokens) throw new ApiError(401, { message: 'Not logged in' });
      const headers = {};
      if (auth) headers.Authorization = `Bearer ${this.tokens.access_token}`;
      if (body !== undefined) headers['Content-Type'] = 'application/json';
      let response;
      try {
        response = await fetch(this.base + path, {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      } catch {
        this.dispatchEvent(new CustomEvent('offline'));
        if (!retry || attempt >= MAX_ATTEMPTS) {
          throw new ApiError(0, { message: 'Cannot reach the server' });
        }
        await sleep(Math.min(8_000, 500 * 2 ** attempt));
        continue;
      }
      this.dispatchEvent(new CustomEvent('online'));
      if (response.status === 429 && retry && attempt < MAX_ATTEMPTS) {
        const limited = await response.json().catch(() => ({}));
        const seconds = Number(limited.retry_after ?? response.headers.get('Retry-After') ?? 1);
        this.dispatchEvent(new CustomEvent('ratelimited', { detail: { seconds, path } }));
        await sleep(seconds * 1000 + 50);
        continue;
      }
      if (response.status === 401 && auth) {
        if (!refreshed && (await this.refresh())) {
          refreshed = true;
          continue;
        }
        this.clearTokens();
        this.dispatchEvent(new Event('unauthorized'));
        throw new ApiError(401, await response.json().catch(() => null));
      }
      if (response.status === 204) return null;
      const data = await response.json().catch(() => null);
      if (!response.ok) throw new ApiError(response.status, data);
      return data;
    }
  }

  get(path) {
    return this.request('GET', path);
  }

  post(path, body = {}) {
    return this.request('POST', path, body);
  }

  patch(path, body) {
    return this.request('PATCH', path, body);
  }

  put(path) {
    return this.request('PUT', path);
  }

  delete(path) {
    return this.request('DELETE', path);
  }
}

function readTokens() {
  try {
    const tokens = JSON.parse(sessionStorage.getItem(TOKENS_KEY));
    return tokens && tokens.access_token && tokens.refresh_token ? tokens : null;
  } catch {
    return null;
  }
}
