// The guild column, the channel list (categories with their channels) and
// the member list with presence dots.

import { $, compareIds, displayName, h, show } from './dom.js';

const CATEGORY = 4;
// Channel types a person can read messages in: text (0) and announcement (5).
const TEXT_TYPES = new Set([0, 5]);
const STATUS_ORDER = { online: 0, idle: 1, dnd: 2, offline: 3 };

function byPosition(a, b) {
  return (a.position ?? 0) - (b.position ?? 0) || compareIds(a.id, b.id);
}

function initials(name) {
  const words = name.trim().split(/\s+/).filter(Boolean);
  return (words.length > 1 ? words[0][0] + words[1][0] : name.slice(0, 2)).toUpperCase();
}

/** The text channel a guild opens on: the first by position. */
export function firstTextChannel(guild) {
  const channels = [...guild.channels.values()].filter((c) => TEXT_TYPES.has(c.type));
  const categories = new Map(
    [...guild.channels.values()].filter((c) => c.type === CATEGORY).map((c) => [c.id, c]),
  );
  const rank = (c) => {
    const parent = c.parent_id && categories.get(c.parent_id);
    return parent ? [1, parent.position ?? 0, c.position ?? 0] : [0, 0, c.position ?? 0];
  };
  channels.sort((a, b) => {
    const [x, y] = [rank(a), rank(b)];
    return x[0] - y[0] || x[1] - y[1] || x[2] - y[2] || compareIds(a.id, b.id);
  });
  return channels[0];
}

export function isTextChannel(channel) {
  return Boolean(channel) && TEXT_TYPES.has(channel.type);
}

export class Sidebar {
  constructor(store, { onSelectGuild, onSelectChannel }) {
    this.store = store;
    this.onSelectGuild = onSelectGuild;
    this.onSelectChannel = onSelectChannel;
    this.guildId = null;
    this.channelId = null;
  }

  renderGuilds() {
    const items = [...this.store.guilds.values()]
      .sort((a, b) => compareIds(a.id, b.id))
      .map((guild) =>
        h(
          'li',
          {},
          h('button', {
            type: 'button',
            class: guild.id === this.guildId ? 'guild selected' : 'guild',
            title: guild.name,
            'aria-label': guild.name,
            'aria-current': guild.id === this.guildId ? 'page' : null,
            dataset: { guildId: guild.id },
            text: initials(guild.name),
            onclick: () => this.onSelectGuild(guild.id),
          }),
        ),
      );
    $('guild-list').replaceChildren(...items);
    const me = this.store.me;
    if (me) $('my-name').textContent = displayName(me);
  }

  renderGuild() {
    const guild = this.guildId && this.store.guilds.get(this.guildId);
    $('guild-name').textContent = guild ? guild.name : 'No guild yet';
    show($('invite-button'), Boolean(guild && this.channelId));
    if (!guild) {
      $('channel-list').replaceChildren();
      $('member-list').replaceChildren();
      return;
    }
    this.renderChannels(guild);
    this.renderMembers(guild);
  }

  renderChannels(guild) {
    const all = [...guild.channels.values()];
    const categories = all.filter((c) => c.type === CATEGORY).sort(byPosition);
    const known = new Set(categories.map((c) => c.id));
    const childrenOf = (parentId) =>
      all
        .filter((c) => c.type !== CATEGORY && (c.parent_id || null) === parentId)
        .sort(byPosition)
        .map((c) => this.channelItem(c));
    const loose = all
      .filter((c) => c.type !== CATEGORY && !(c.parent_id && known.has(c.parent_id)))
      .sort(byPosition)
      .map((c) => this.channelItem(c));
    const groups = [h('ul', { class: 'channel-group' }, loose)];
    for (const category of categories) {
      groups.push(
        h(
          'section',
          { class: 'category', dataset: { categoryId: category.id } },
          h('h5', { text: category.name }),
          h('ul', { class: 'channel-group' }, childrenOf(category.id)),
        ),
      );
    }
    $('channel-list').replaceChildren(...groups);
  }

  channelItem(channel) {
    const readable = TEXT_TYPES.has(channel.type);
    const selected = channel.id === this.channelId;
    let className = 'channel';
    if (selected) className += ' selected';
    if (this.store.unread.has(channel.id)) className += ' unread';
    return h(
      'li',
      {},
      h(
        'button',
        {
          type: 'button',
          class: className,
          disabled: !readable,
          'aria-current': selected ? 'page' : null,
          dataset: { channelId: channel.id },
          onclick: () => this.onSelectChannel(channel.id),
        },
        h('span', { class: 'hash', 'aria-hidden': 'true', text: readable ? '#' : '🔊' }),
        channel.name,
      ),
    );
  }

  renderMembers(guild) {
    const status = (id) => guild.presences.get(id) || 'offline';
    const members = [...guild.members.values()].sort(
      (a, b) =>
        STATUS_ORDER[status(a.user.id)] - STATUS_ORDER[status(b.user.id)] ||
        displayName(a.user, a).localeCompare(displayName(b.user, b)),
    );
    $('member-list').replaceChildren(
      ...members.map((m) =>
        h(
          'li',
          { class: 'member', dataset: { userId: m.user.id, status: status(m.user.id) } },
          h('span', { class: 'dot', dataset: { status: status(m.user.id) }, title: status(m.user.id) }),
          h('span', { class: 'name', text: displayName(m.user, m) }),
          m.user.bot ? h('span', { class: 'badge', text: 'BOT' }) : null,
        ),
      ),
    );
    const mine = this.store.me && status(this.store.me.id);
    $('my-status').dataset.status = mine || 'offline';
  }
}
