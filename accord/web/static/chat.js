// The message pane: history (older pages load as you scroll up), live
// messages, replies, edits, deletes, reactions, the composer and typing.

import { $, displayName, h, show } from './dom.js';
import { ReactionPicker } from './reactions.js';

const PAGE_SIZE = 50;
// Start loading the previous page when this close to the top (px).
const LOAD_OLDER_THRESHOLD = 200;
// Within this distance of the bottom, new messages keep the view at the bottom.
const STICKY_BOTTOM = 60;
// Discord clients repeat POST /typing every 8-10 s while the person types.
const TYPING_REPEAT_MS = 8_000;
// The delete button asks once more for this long.
const CONFIRM_MS = 4_000;

function newNonce() {
  const random = crypto.getRandomValues(new Uint32Array(2));
  return `${Date.now()}${random[0] % 100000}`.slice(0, 25);
}

function snippet(text, length = 80) {
  const flat = (text || '').replace(/\s+/g, ' ').trim();
  return flat.length > length ? `${flat.slice(0, length - 1)}…` : flat || '(no text)';
}

export class Chat {
  constructor(store, api) {
    this.store = store;
    this.api = api;
    this.channel = null;
    this.nodes = new Map(); // message id -> li
    this.references = new Map(); // message id -> message | null (deleted) | 'loading'
    this.pending = new Map(); // nonce -> {channelId, node}
    this.sendChain = Promise.resolve();
    this.loadingOlder = false;
    this.replyTo = null;
    this.editing = null; // {id, form} while a message is being edited
    this.lastTypingSent = 0;
    this.picker = new ReactionPicker((message, emoji) => this.react(message, emoji, true));
    this.scroller = $('message-scroller');
    this.list = $('messages');
    this.input = $('composer-input');
    this.scroller.addEventListener('scroll', () => {
      if (this.scroller.scrollTop < LOAD_OLDER_THRESHOLD) this.loadOlder();
    });
    this.input.addEventListener('keydown', (event) => this.keydown(event));
    this.input.addEventListener('input', () => this.typed());
    $('composer').addEventListener('submit', (event) => {
      event.preventDefault();
      this.submit();
    });
    $('reply-cancel').addEventListener('click', () => this.setReply(null));
    api.addEventListener('ratelimited', (event) => this.rateLimited(event.detail.seconds));
  }

  get channelId() {
    return this.channel ? this.channel.id : null;
  }

  // -- opening a channel and its history --------------------------------------

  async open(channel) {
    this.channel = channel;
    this.editing = null;
    this.setReply(null);
    this.picker.close();
    show($('empty-state'), !channel);
    show(this.scroller, Boolean(channel));
    show($('composer'), Boolean(channel));
    $('channel-name').textContent = channel ? `# ${channel.name}` : '';
    $('channel-topic').textContent = (channel && channel.topic) || '';
    this.input.placeholder = channel ? `Message #${channel.name}` : 'Message';
    this.renderTyping();
    if (!channel) {
      this.list.replaceChildren();
      return;
    }
    this.store.unread.delete(channel.id);
    let history = this.store.history(channel.id);
    if (history && history.loaded) {
      this.renderAll();
      this.scrollToBottom();
      this.fillViewport();
      return;
    }
    // Kept before the first page arrives, so MESSAGE_CREATEs meanwhile are not lost.
    history = this.store.ensureHistory(channel.id);
    this.renderAll();
    await this.fetchPage(channel.id, null);
    if (this.channelId !== channel.id) return;
    history.loaded = true;
    this.renderAll();
    this.scrollToBottom();
    this.fillViewport();
  }

  /** Reload the open channel from scratch (the session was lost: there may be a gap). */
  async reload() {
    if (!this.channel) return;
    this.store.resetHistory(this.channel.id);
    await this.open(this.channel);
  }

  async fetchPage(channelId, before) {
    const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (before) query.set('before', before);
    const page = await this.api.get(`/channels/${channelId}/messages?${query}`);
    return this.store.addPage(channelId, page, PAGE_SIZE);
  }

  async loadOlder() {
    const channel = this.channel;
    const history = channel && this.store.history(channel.id);
    if (!history || !history.loaded || history.complete || this.loadingOlder) return;
    this.loadingOlder = true;
    this.renderHistoryStatus();
    try {
      const before = history.oldest;
      const height = this.scroller.scrollHeight;
      const top = this.scroller.scrollTop;
      await this.fetchPage(channel.id, before);
      if (this.channelId !== channel.id) return;
      this.renderAll();
      // Keep the messages on screen where they were.
      this.scroller.scrollTop = top + (this.scroller.scrollHeight - height);
    } finally {
      this.loadingOlder = false;
      this.renderHistoryStatus();
    }
    this.fillViewport();
  }

  /** While the history does not fill the pane there is nothing to scroll: load more. */
  fillViewport() {
    if (this.scroller.scrollHeight <= this.scroller.clientHeight + LOAD_OLDER_THRESHOLD) {
      this.loadOlder();
    }
  }

  // -- rendering ----------------------------------------------------------------

  renderAll() {
    const history = this.channel && this.store.history(this.channel.id);
    this.nodes.clear();
    const nodes = history ? history.order.map((id) => this.node(history.messages.get(id))) : [];
    this.list.replaceChildren(...nodes);
    this.renderHistoryStatus();
    this.renderPending();
  }

  renderHistoryStatus() {
    const history = this.channel && this.store.history(this.channel.id);
    let text = '';
    if (history && history.complete) text = `This is the beginning of #${this.channel.name}.`;
    else if (this.loadingOlder || !(history && history.loaded)) text = 'Loading messages…';
    $('history-status').textContent = text;
  }

  /** A message changed in the store. */
  update({ channelId, id, action }) {
    if (channelId !== this.channelId) return;
    const history = this.store.history(channelId);
    if (!history) return;
    const stick = this.atBottom();
    const old = this.nodes.get(id);
    if (action === 'remove') {
      if (old) old.remove();
      this.nodes.delete(id);
      if (this.editing && this.editing.id === id) this.editing = null;
      if (this.references.has(id)) this.references.set(id, null);
      this.refreshRepliesTo(id);
      return;
    }
    const message = history.messages.get(id);
    if (!message) return;
    if (message.nonce) this.settlePending(String(message.nonce));
    const node = this.node(message);
    if (old) old.replaceWith(node);
    else {
      const at = history.order.indexOf(id);
      const next = history.order.slice(at + 1).find((later) => this.nodes.has(later) && later !== id);
      this.list.insertBefore(node, next ? this.nodes.get(next) : null);
    }
    this.nodes.set(id, node);
    if (action === 'update') this.refreshRepliesTo(id);
    if (stick) this.scrollToBottom();
  }

  refreshRepliesTo(id) {
    for (const node of this.list.querySelectorAll('li.message[data-reply-to]')) {
      if (node.dataset.replyTo !== id) continue;
      const history = this.store.history(this.channelId);
      const message = history && history.messages.get(node.dataset.id);
      if (message) {
        const fresh = this.node(message);
        node.replaceWith(fresh);
        this.nodes.set(message.id, fresh);
      }
    }
  }

  author(message) {
    const guild = this.store.guildOfChannel(message.channel_id);
    const member = guild && guild.members.get(message.author.id);
    return displayName(message.author, member);
  }

  node(message) {
    const mine = this.store.me && message.author.id === this.store.me.id;
    const when = new Date(message.timestamp);
    const referenceId = message.message_reference && message.message_reference.message_id;
    const node = h(
      'li',
      {
        class: mine ? 'message mine' : 'message',
        dataset: { id: message.id, authorId: message.author.id, replyTo: referenceId || undefined },
      },
      referenceId ? this.referenceNode(message, referenceId) : null,
      h(
        'div',
        { class: 'meta' },
        h('span', { class: 'author', text: this.author(message) }),
        h('time', {
          datetime: message.timestamp,
          title: when.toLocaleString(),
          text: when.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }),
        }),
        message.edited_timestamp ? h('span', { class: 'edited', text: '(edited)' }) : null,
      ),
      h('div', { class: 'content', text: message.content }),
      this.reactionsNode(message),
      this.actionsNode(message, mine),
    );
    // An edit in progress survives other changes to its message (a reaction, say).
    if (this.editing && this.editing.id === message.id) {
      node.querySelector('.content').replaceWith(this.editing.form);
    }
    return node;
  }

  referenceNode(message, referenceId) {
    const history = this.store.history(message.channel_id);
    let target = history && history.messages.get(referenceId);
    if (!target) {
      target = this.references.get(referenceId);
      if (target === undefined) this.fetchReference(message.channel_id, referenceId);
    }
    const body =
      target === null
        ? [h('span', { class: 'snippet missing', text: 'Original message was deleted' })]
        : target && target !== 'loading'
          ? [
              h('span', { class: 'author', text: this.author(target) }),
              ' ',
              h('span', { class: 'snippet', text: snippet(target.content) }),
            ]
          : [h('span', { class: 'snippet missing', text: 'Loading…' })];
    return h('div', { class: 'reply-ref' }, h('span', { 'aria-hidden': 'true', text: '↱ ' }), body);
  }

  async fetchReference(channelId, id) {
    this.references.set(id, 'loading');
    try {
      this.references.set(id, await this.api.get(`/channels/${channelId}/messages/${id}`));
    } catch {
      this.references.set(id, null);
    }
    this.refreshRepliesTo(id);
  }

  reactionsNode(message) {
    const reactions = message.reactions || [];
    if (!reactions.length) return null;
    return h(
      'div',
      { class: 'reactions' },
      reactions.map((reaction) =>
        h('button', {
          type: 'button',
          class: reaction.me ? 'reaction me' : 'reaction',
          'aria-pressed': reaction.me ? 'true' : 'false',
          title: reaction.me ? 'Remove your reaction' : 'React',
          dataset: { emoji: reaction.emoji.name, count: String(reaction.count) },
          text: `${reaction.emoji.name} ${reaction.count}`,
          onclick: () => this.react(message, reaction.emoji, !reaction.me),
        }),
      ),
    );
  }

  actionsNode(message, mine) {
    const buttons = [
      h('button', { type: 'button', class: 'reply', text: 'Reply', onclick: () => this.setReply(message) }),
      h('button', {
        type: 'button',
        class: 'react',
        text: 'React',
        onclick: (event) => this.picker.open(message, event.currentTarget),
      }),
    ];
    if (mine) {
      buttons.push(
        h('button', { type: 'button', class: 'edit', text: 'Edit', onclick: () => this.startEdit(message) }),
        h('button', {
          type: 'button',
          class: 'delete',
          text: 'Delete',
          onclick: (event) => this.confirmDelete(message, event.currentTarget),
        }),
      );
    }
    return h('div', { class: 'actions' }, buttons);
  }

  atBottom() {
    const s = this.scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight < STICKY_BOTTOM;
  }

  scrollToBottom() {
    this.scroller.scrollTop = this.scroller.scrollHeight;
  }

  // -- acting on messages -----------------------------------------------------

  async react(message, emoji, add) {
    const name = emoji.id ? `${emoji.name}:${emoji.id}` : emoji.name;
    const path = `/channels/${message.channel_id}/messages/${message.id}/reactions/${encodeURIComponent(name)}/@me`;
    try {
      // The change shows when MESSAGE_REACTION_ADD/REMOVE comes back.
      await (add ? this.api.put(path) : this.api.delete(path));
    } catch (error) {
      this.flash(error.message);
    }
  }

  startEdit(message) {
    const node = this.nodes.get(message.id);
    if (!node) return;
    const content = node.querySelector('.content');
    const editor = h('textarea', { class: 'editor', 'aria-label': 'Edit message', maxlength: '2000' });
    editor.value = message.content;
    const hint = h('p', { class: 'hint', text: 'Enter to save · Escape to cancel' });
    const form = h('div', { class: 'edit-form' }, editor, hint);
    content.replaceWith(form);
    this.editing = { id: message.id, form };
    editor.focus();
    editor.setSelectionRange(editor.value.length, editor.value.length);
    const cancel = () => {
      this.editing = null;
      this.update({ channelId: message.channel_id, id: message.id, action: 'update' });
    };
    editor.addEventListener('keydown', async (event) => {
      if (event.key === 'Escape') cancel();
      if (event.key !== 'Enter' || event.shiftKey) return;
      event.preventDefault();
      const text = editor.value.trim();
      if (!text || text === message.content) return cancel();
      editor.disabled = true;
      try {
        const edited = await this.api.patch(`/channels/${message.channel_id}/messages/${message.id}`, {
          content: text,
        });
        this.editing = null;
        this.store.messageUpdate(edited);
      } catch (error) {
        editor.disabled = false;
        hint.textContent = error.message;
      }
    });
  }

  confirmDelete(message, button) {
    if (button.dataset.confirm !== 'yes') {
      button.dataset.confirm = 'yes';
      button.textContent = 'Confirm delete';
      button.classList.add('danger');
      setTimeout(() => {
        button.dataset.confirm = '';
        button.textContent = 'Delete';
        button.classList.remove('danger');
      }, CONFIRM_MS);
      return;
    }
    this.deleteMessage(message);
  }

  async deleteMessage(message) {
    try {
      await this.api.delete(`/channels/${message.channel_id}/messages/${message.id}`);
      this.store.messageDelete(message.channel_id, message.id);
    } catch (error) {
      this.flash(error.message);
    }
  }

  setReply(message) {
    this.replyTo = message;
    show($('reply-bar'), Boolean(message));
    if (message) {
      $('reply-author').textContent = this.author(message);
      $('reply-snippet').textContent = snippet(message.content, 60);
      this.input.focus();
    }
  }

  // -- composing ----------------------------------------------------------------

  keydown(event) {
    if (event.key === 'Escape' && this.replyTo) this.setReply(null);
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      this.submit();
    }
  }

  typed() {
    const channel = this.channel;
    if (!channel || !this.input.value.trim()) return;
    const now = Date.now();
    if (now - this.lastTypingSent < TYPING_REPEAT_MS) return;
    this.lastTypingSent = now;
    this.api.request('POST', `/channels/${channel.id}/typing`, undefined, { retry: false }).catch(() => {});
  }

  submit() {
    const content = this.input.value.trim();
    if (!content || !this.channel) return;
    this.input.value = '';
    const reply = this.replyTo;
    this.setReply(null);
    this.lastTypingSent = 0;
    this.send(this.channel.id, content, reply);
  }

  /** Sends go out one at a time, in order; each shows as pending until it is stored. */
  send(channelId, content, reply) {
    const nonce = newNonce();
    const status = h('span', { class: 'status', text: 'Sending…' });
    const node = h(
      'li',
      { class: 'message pending', dataset: { nonce } },
      h('div', { class: 'meta' }, h('span', { class: 'author', text: displayName(this.store.me) }), status),
      h('div', { class: 'content', text: content }),
    );
    this.pending.set(nonce, { channelId, node, status });
    this.renderPending();
    this.scrollToBottom();
    const body = { content, nonce, enforce_nonce: true };
    if (reply) body.message_reference = { message_id: reply.id, fail_if_not_exists: false };
    this.sendChain = this.sendChain.then(async () => {
      try {
        const message = await this.api.post(`/channels/${channelId}/messages`, body);
        this.settlePending(nonce);
        this.store.messageSent(message);
      } catch (error) {
        status.textContent = `Not sent: ${error.message}`;
        node.classList.add('failed');
        node.append(
          h('button', {
            type: 'button',
            class: 'link',
            text: 'Dismiss',
            onclick: () => this.settlePending(nonce),
          }),
        );
      }
    });
  }

  settlePending(nonce) {
    const entry = this.pending.get(nonce);
    if (!entry) return;
    this.pending.delete(nonce);
    entry.node.remove();
  }

  renderPending() {
    const nodes = [...this.pending.values()].filter((p) => p.channelId === this.channelId).map((p) => p.node);
    $('pending').replaceChildren(...nodes);
  }

  rateLimited(seconds) {
    for (const entry of this.pending.values()) {
      if (!entry.node.classList.contains('failed')) {
        entry.status.textContent = `Rate limited, retrying in ${Math.ceil(seconds)} s…`;
      }
    }
  }

  renderTyping() {
    const names = this.channel ? this.store.typers(this.channel.id) : [];
    let text = '';
    if (names.length === 1) text = `${names[0]} is typing…`;
    else if (names.length === 2) text = `${names[0]} and ${names[1]} are typing…`;
    else if (names.length > 2) text = 'Several people are typing…';
    $('typing').textContent = text;
  }

  flash(text) {
    const banner = h('p', { class: 'flash', role: 'status', text });
    $('composer').append(banner);
    setTimeout(() => banner.remove(), 5_000);
  }
}
