// What the page knows: guilds with their channels, members and presences,
// and the loaded history of each channel. Gateway dispatches and REST
// answers both land here; a message is keyed by id, so seeing it twice (the
// POST's answer and MESSAGE_CREATE, or a replay after a resume) keeps one.
//
// Events: 'guilds' (the list changed), 'guild' {id} (its channels, members
// or presences changed), 'message' {channelId, id, action: add|update|remove},
// 'history' {channelId} (reloaded), 'typing' {channelId}.

import { compareIds } from './dom.js';

// Discord shows "X is typing" for 10 s after each TYPING_START.
export const TYPING_MS = 10_000;

export class History {
  constructor() {
    this.messages = new Map();
    this.order = []; // ids, oldest first
    this.complete = false; // the oldest message is loaded
    this.loaded = false; // the newest page is loaded
  }

  /** Insert or replace; true if it was new. */
  put(message) {
    const known = this.messages.has(message.id);
    this.messages.set(message.id, message);
    if (!known) {
      const last = this.order[this.order.length - 1];
      if (last === undefined || compareIds(last, message.id) < 0) this.order.push(message.id);
      else {
        const at = this.order.findIndex((id) => compareIds(id, message.id) > 0);
        this.order.splice(at, 0, message.id);
      }
    }
    return !known;
  }

  remove(id) {
    if (!this.messages.delete(id)) return false;
    this.order.splice(this.order.indexOf(id), 1);
    return true;
  }

  get oldest() {
    return this.order[0];
  }
}

export class Store extends EventTarget {
  constructor() {
    super();
    this.me = null;
    this.guilds = new Map();
    this.histories = new Map();
    this.typing = new Map(); // channel id -> Map(user id -> {name, until})
    this.unread = new Set();
    this.handlers = {
      READY: (d) => this.ready(d),
      GUILD_CREATE: (d) => this.guildCreate(d),
      GUILD_UPDATE: (d) => this.guildUpdate(d),
      GUILD_DELETE: (d) => this.guildDelete(d),
      CHANNEL_CREATE: (d) => this.channelPut(d),
      CHANNEL_UPDATE: (d) => this.channelPut(d),
      CHANNEL_DELETE: (d) => this.channelDelete(d),
      GUILD_MEMBER_ADD: (d) => this.memberPut(d),
      GUILD_MEMBER_UPDATE: (d) => this.memberPut(d),
      GUILD_MEMBER_REMOVE: (d) => this.memberRemove(d),
      GUILD_MEMBERS_CHUNK: (d) => this.membersChunk(d),
      PRESENCE_UPDATE: (d) => this.presence(d),
      MESSAGE_CREATE: (d) => this.messageCreate(d),
      MESSAGE_UPDATE: (d) => this.messageUpdate(d),
      MESSAGE_DELETE: (d) => this.messageDelete(d.channel_id, d.id),
      MESSAGE_DELETE_BULK: (d) => d.ids.forEach((id) => this.messageDelete(d.channel_id, id)),
      MESSAGE_REACTION_ADD: (d) => this.reaction(d, +1),
      MESSAGE_REACTION_REMOVE: (d) => this.reaction(d, -1),
      MESSAGE_REACTION_REMOVE_ALL: (d) => this.reactionsCleared(d, null),
      MESSAGE_REACTION_REMOVE_EMOJI: (d) => this.reactionsCleared(d, d.emoji),
      TYPING_START: (d) => this.typingStart(d),
      USER_UPDATE: (d) => {
        this.me = { ...this.me, ...d };
        this.emit('guilds');
      },
    };
  }

  emit(type, detail = {}) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  apply(t, d) {
    const handler = this.handlers[t];
    if (handler) handler(d);
  }

  // -- guilds, channels, members ---------------------------------------------

  ready(d) {
    this.me = d.user;
    const listed = new Set(d.guilds.map((g) => g.id));
    for (const id of [...this.guilds.keys()]) if (!listed.has(id)) this.guilds.delete(id);
    this.emit('guilds');
  }

  guildCreate(d) {
    const guild = {
      id: d.id,
      name: d.name,
      owner_id: d.owner_id,
      channels: new Map((d.channels || []).map((c) => [c.id, { ...c, guild_id: d.id }])),
      members: new Map((d.members || []).map((m) => [m.user.id, m])),
      presences: new Map((d.presences || []).map((p) => [p.user.id, p.status])),
      large: Boolean(d.large),
    };
    // This page is connected, so its own user is online whatever the snapshot says.
    if (this.me) guild.presences.set(this.me.id, 'online');
    this.guilds.set(d.id, guild);
    this.emit('guilds');
    this.emit('guild', { id: d.id });
  }

  guildUpdate(d) {
    const guild = this.guilds.get(d.id);
    if (!guild) return;
    guild.name = d.name;
    guild.owner_id = d.owner_id;
    this.emit('guilds');
    this.emit('guild', { id: d.id });
  }

  guildDelete(d) {
    const guild = this.guilds.get(d.id);
    if (!guild) return;
    this.guilds.delete(d.id);
    for (const channelId of guild.channels.keys()) this.histories.delete(channelId);
    this.emit('guilds');
  }

  channelPut(c) {
    const guild = this.guilds.get(c.guild_id);
    if (!guild) return;
    guild.channels.set(c.id, c);
    this.emit('guild', { id: guild.id });
  }

  channelDelete(c) {
    const guild = this.guilds.get(c.guild_id);
    if (!guild || !guild.channels.delete(c.id)) return;
    this.histories.delete(c.id);
    this.emit('guild', { id: guild.id });
  }

  memberPut(d) {
    const guild = this.guilds.get(d.guild_id);
    if (!guild) return;
    const known = guild.members.get(d.user.id);
    guild.members.set(d.user.id, { ...known, ...d });
    this.emit('guild', { id: guild.id, newMember: known ? null : d.user.id });
  }

  memberRemove(d) {
    const guild = this.guilds.get(d.guild_id);
    if (!guild || !guild.members.delete(d.user.id)) return;
    guild.presences.delete(d.user.id);
    this.emit('guild', { id: guild.id });
  }

  membersChunk(d) {
    const guild = this.guilds.get(d.guild_id);
    if (!guild) return;
    for (const m of d.members || []) guild.members.set(m.user.id, m);
    for (const p of d.presences || []) guild.presences.set(p.user.id, p.status);
    this.emit('guild', { id: guild.id });
  }

  presence(d) {
    const targets = d.guild_id ? [this.guilds.get(d.guild_id)] : [...this.guilds.values()];
    for (const guild of targets) {
      if (!guild) continue;
      if (this.me && d.user.id === this.me.id && d.status === 'offline') continue;
      if (d.status === 'offline') guild.presences.delete(d.user.id);
      else guild.presences.set(d.user.id, d.status);
      this.emit('guild', { id: guild.id });
    }
  }

  member(guildId, userId) {
    const guild = this.guilds.get(guildId);
    return guild ? guild.members.get(userId) : undefined;
  }

  guildOfChannel(channelId) {
    for (const guild of this.guilds.values()) if (guild.channels.has(channelId)) return guild;
    return undefined;
  }

  // -- messages ---------------------------------------------------------------

  history(channelId) {
    return this.histories.get(channelId);
  }

  ensureHistory(channelId) {
    let history = this.histories.get(channelId);
    if (!history) {
      history = new History();
      this.histories.set(channelId, history);
    }
    return history;
  }

  /** A page of history from REST (newest first, as the API returns it). */
  addPage(channelId, messages, limit) {
    const history = this.ensureHistory(channelId);
    for (const message of messages) history.put(message);
    if (messages.length < limit) history.complete = true;
    return history;
  }

  /** Forget a channel's history (after a session was lost: it may have gaps). */
  resetHistory(channelId) {
    this.histories.delete(channelId);
  }

  messageCreate(message) {
    this.stopTyping(message.channel_id, message.author.id);
    const history = this.histories.get(message.channel_id);
    if (!history) {
      if (!this.me || message.author.id !== this.me.id) this.unread.add(message.channel_id);
      this.emit('unread', { channelId: message.channel_id });
      return;
    }
    const added = history.put(message);
    this.emit('message', { channelId: message.channel_id, id: message.id, action: added ? 'add' : 'update' });
  }

  /** A message this page sent: the POST's answer, which may come before or after MESSAGE_CREATE. */
  messageSent(message) {
    const history = this.histories.get(message.channel_id);
    if (history && !history.messages.has(message.id)) this.messageCreate(message);
  }

  messageUpdate(d) {
    const history = this.histories.get(d.channel_id);
    const known = history && history.messages.get(d.id);
    if (!known) return;
    history.messages.set(d.id, { ...known, ...d });
    this.emit('message', { channelId: d.channel_id, id: d.id, action: 'update' });
  }

  messageDelete(channelId, id) {
    const history = this.histories.get(channelId);
    if (!history || !history.remove(id)) return;
    this.emit('message', { channelId, id, action: 'remove' });
  }

  reaction(d, delta) {
    const history = this.histories.get(d.channel_id);
    const message = history && history.messages.get(d.message_id);
    if (!message) return;
    const reactions = (message.reactions || []).map((r) => ({ ...r }));
    const same = (r) => r.emoji.name === d.emoji.name && (r.emoji.id || null) === (d.emoji.id || null);
    let reaction = reactions.find(same);
    if (!reaction) {
      if (delta < 0) return;
      reaction = { emoji: d.emoji, count: 0, me: false };
      reactions.push(reaction);
    }
    reaction.count += delta;
    if (this.me && d.user_id === this.me.id) reaction.me = delta > 0;
    message.reactions = reactions.filter((r) => r.count > 0);
    this.emit('message', { channelId: d.channel_id, id: d.message_id, action: 'update' });
  }

  reactionsCleared(d, emoji) {
    const history = this.histories.get(d.channel_id);
    const message = history && history.messages.get(d.message_id);
    if (!message) return;
    message.reactions = emoji
      ? (message.reactions || []).filter((r) => r.emoji.name !== emoji.name)
      : [];
    this.emit('message', { channelId: d.channel_id, id: d.message_id, action: 'update' });
  }

  // -- typing -----------------------------------------------------------------

  typingStart(d) {
    if (this.me && d.user_id === this.me.id) return;
    const guild = d.guild_id ? this.guilds.get(d.guild_id) : undefined;
    const member = d.member || (guild && guild.members.get(d.user_id));
    const user = member && member.user;
    const name = (member && member.nick) || (user && (user.global_name || user.username)) || 'Someone';
    let typers = this.typing.get(d.channel_id);
    if (!typers) {
      typers = new Map();
      this.typing.set(d.channel_id, typers);
    }
    const until = Date.now() + TYPING_MS;
    typers.set(d.user_id, { name, until });
    setTimeout(() => {
      const current = typers.get(d.user_id);
      if (current && current.until === until) this.stopTyping(d.channel_id, d.user_id);
    }, TYPING_MS);
    this.emit('typing', { channelId: d.channel_id });
  }

  stopTyping(channelId, userId) {
    const typers = this.typing.get(channelId);
    if (typers && typers.delete(userId)) this.emit('typing', { channelId });
  }

  typers(channelId) {
    const typers = this.typing.get(channelId);
    return typers ? [...typers.values()].map((t) => t.name) : [];
  }
}
