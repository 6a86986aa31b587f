// The gateway client, speaking Discord's protocol: HELLO, heartbeats (a
// missing ACK means a dead connection), IDENTIFY, and on any drop a RESUME
// that replays exactly what was missed. Dispatches reach the page as
// 'dispatch' events, each sequence number at most once.
//
// Events: 'dispatch' {t, d}; 'connected' (READY or RESUMED); 'disconnected'
// {code}; 'invalidated' (the session is gone, state must be fetched again);
// 'unauthorized' (close 4004: the token was refused).

const OP = {
  DISPATCH: 0,
  HEARTBEAT: 1,
  IDENTIFY: 2,
  PRESENCE_UPDATE: 3,
  RESUME: 6,
  RECONNECT: 7,
  REQUEST_GUILD_MEMBERS: 8,
  INVALID_SESSION: 9,
  HELLO: 10,
  HEARTBEAT_ACK: 11,
};

// Closes after which reconnecting cannot help.
const FATAL_CLOSES = new Set([4010, 4011, 4012, 4013, 4014]);
// Closes after which the session cannot be resumed, but a new one can start.
const FRESH_CLOSES = new Set([4003, 4007, 4009]);
const AUTH_FAILED = 4004;
// What the page sends when it drops a connection on purpose. Not 1000/1001:
// those end the session on the server, and we want to resume it.
const RESUMABLE_CLOSE = 4000;
const MAX_BACKOFF_MS = 10_000;
// A connection that has not said HELLO by then is given up and tried again
// (an opening socket can hang forever on a network that went away).
const HELLO_TIMEOUT_MS = 5_000;

export class Gateway extends EventTarget {
  constructor(url, tokenSource) {
    super();
    this.url = url;
    this.tokenSource = tokenSource;
    this.ws = null;
    this.sessionId = null;
    this.resumeUrl = null;
    this.seq = null;
    this.heartbeatTimer = null;
    this.acked = true;
    this.attempts = 0;
    this.reconnectTimer = null;
    this.helloTimer = null;
    this.stopped = false;
    this.connected = false;
  }

  start() {
    this.stopped = false;
    this.open();
  }

  /** Close for good: the session ends on the server too (code 1000). */
  stop() {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.helloTimer);
    this.stopHeartbeat();
    if (this.ws) this.ws.close(1000, 'logout');
    this.ws = null;
  }

  send(op, d) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify({ op, d }));
      return true;
    }
    return false;
  }

  requestMembers(guildId, userIds) {
    return this.send(OP.REQUEST_GUILD_MEMBERS, {
      guild_id: guildId,
      user_ids: userIds,
      presences: true,
    });
  }

  open() {
    const base = this.sessionId && this.resumeUrl ? this.resumeUrl : this.url;
    const url = new URL(base);
    url.searchParams.set('v', '10');
    url.searchParams.set('encoding', 'json');
    const ws = new WebSocket(url);
    this.ws = ws;
    clearTimeout(this.helloTimer);
    this.helloTimer = setTimeout(() => {
      if (ws === this.ws) this.reconnect();
    }, HELLO_TIMEOUT_MS);
    ws.addEventListener('message', (event) => {
      if (ws === this.ws) this.receive(JSON.parse(event.data));
    });
    ws.addEventListener('close', (event) => {
      if (ws === this.ws) this.closed(event.code);
    });
  }

  /** Drop the connection and resume on a new one (op 7, a dead heartbeat). */
  reconnect() {
    const ws = this.ws;
    if (!ws) return;
    this.ws = null;
    ws.close(RESUMABLE_CLOSE, 'reconnecting');
    this.closed(RESUMABLE_CLOSE);
  }

  receive(payload) {
    switch (payload.op) {
      case OP.HELLO:
        clearTimeout(this.helloTimer);
        this.startHeartbeat(payload.d.heartbeat_interval);
        if (this.sessionId) this.resume();
        else this.identify();
        break;
      case OP.HEARTBEAT:
        this.beat();
        break;
      case OP.HEARTBEAT_ACK:
        this.acked = true;
        break;
      case OP.RECONNECT:
        this.reconnect();
        break;
      case OP.INVALID_SESSION:
        this.invalid(payload.d === true);
        break;
      case OP.DISPATCH:
        this.dispatch(payload);
        break;
      default:
        break;
    }
  }

  dispatch({ t, s, d }) {
    if (t === 'READY') {
      this.sessionId = d.session_id;
      this.resumeUrl = d.resume_gateway_url || null;
    } else if (t !== 'RESUMED' && typeof s === 'number' && this.seq !== null && s <= this.seq) {
      // Already seen: a replay never shows a message twice. (RESUMED carries
      // the sequence number of the last dispatch replayed, not a new one.)
      return;
    }
    if (typeof s === 'number') this.seq = s;
    this.dispatchEvent(new CustomEvent('dispatch', { detail: { t, d } }));
    if (t === 'READY' || t === 'RESUMED') {
      this.attempts = 0;
      this.connected = true;
      this.dispatchEvent(new CustomEvent('connected', { detail: { resumed: t === 'RESUMED' } }));
    }
  }

  identify() {
    this.seq = null;
    this.send(OP.IDENTIFY, {
      token: this.tokenSource(),
      properties: { os: navigator.platform || 'web', browser: 'Accord web', device: 'Accord web' },
      presence: { status: 'online', since: null, activities: [], afk: false },
    });
  }

  resume() {
    this.send(OP.RESUME, { token: this.tokenSource(), session_id: this.sessionId, seq: this.seq ?? 0 });
  }

  invalid(resumable) {
    if (!resumable) {
      this.sessionId = null;
      this.seq = null;
      this.dispatchEvent(new CustomEvent('invalidated'));
    }
    // Discord asks for a pause of 1-5 s before identifying again.
    const ws = this.ws;
    this.ws = null;
    if (ws) ws.close(RESUMABLE_CLOSE, 'invalid session');
    this.stopHeartbeat();
    this.announceDrop(RESUMABLE_CLOSE);
    this.schedule(1_000 + Math.random() * 2_000);
  }

  startHeartbeat(interval) {
    this.stopHeartbeat();
    this.acked = true;
    const tick = () => {
      if (!this.acked) {
        this.reconnect(); // no ACK since the last beat: the connection is dead
        return;
      }
      this.beat();
      this.heartbeatTimer = setTimeout(tick, interval);
    };
    this.heartbeatTimer = setTimeout(tick, interval * Math.random());
  }

  beat() {
    this.acked = false;
    this.send(OP.HEARTBEAT, this.seq);
  }

  stopHeartbeat() {
    clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }

  closed(code) {
    this.ws = null;
    clearTimeout(this.helloTimer);
    this.stopHeartbeat();
    this.announceDrop(code);
    if (this.stopped) return;
    if (code === AUTH_FAILED) {
      if (this.sessionId) this.dispatchEvent(new CustomEvent('invalidated'));
      this.sessionId = null;
      this.seq = null;
      this.dispatchEvent(new CustomEvent('unauthorized'));
      return;
    }
    if (FATAL_CLOSES.has(code)) return;
    if (FRESH_CLOSES.has(code) && this.sessionId) {
      this.sessionId = null;
      this.seq = null;
      this.dispatchEvent(new CustomEvent('invalidated'));
    }
    const backoff = Math.min(MAX_BACKOFF_MS, 250 * 2 ** this.attempts);
    this.schedule(this.attempts === 0 ? 0 : backoff * (0.5 + Math.random() / 2));
  }

  announceDrop(code) {
    if (this.connected) {
      this.connected = false;
      this.dispatchEvent(new CustomEvent('disconnected', { detail: { code } }));
    }
  }

  schedule(delay) {
    clearTimeout(this.reconnectTimer);
    this.attempts += 1;
    this.reconnectTimer = setTimeout(() => {
      if (!this.stopped) this.open();
    }, delay);
  }
}
