// The page: log in or register, then guilds, channels and chat, live over
// the gateway. Wires the REST client, the gateway, the store and the views.

import { Api } from './api.js';
import { Chat } from './chat.js';
import { Dialogs } from './dialogs.js';
import { $, errorMessage, show } from './dom.js';
import { Gateway } from './gateway.js';
import { firstTextChannel, isTextChannel, Sidebar } from './sidebar.js';
import { Store } from './store.js';

const LAST_CHANNEL_KEY = 'accord.lastChannel';

class App {
  constructor() {
    this.api = new Api();
    this.store = new Store();
    this.gateway = null;
    this.guildId = null;
    this.awaitedGuild = null; // a guild just created or joined: opened when its GUILD_CREATE comes
    this.pendingInvite = inviteInPath(location.pathname);
    this.chat = new Chat(this.store, this.api);
    this.sidebar = new Sidebar(this.store, {
      onSelectGuild: (id) => this.selectGuild(id),
      onSelectChannel: (id) => this.selectChannel(id),
    });
    this.dialogs = new Dialogs(this.api, {
      onGuildCreated: (guild) => this.awaitGuild(guild.id),
      onGuildJoined: (guildId) => this.awaitGuild(guildId),
      onJoinClosed: () => {
        if (location.pathname !== '/') history.replaceState(null, '', '/');
      },
    });
    this.wireStore();
    this.wireControls();
    this.api.addEventListener('unauthorized', () => this.loggedOut('Your session has ended. Please log in again.'));
    this.api.addEventListener('offline', () => this.banner('Cannot reach the server. Retrying…', 'rest'));
    this.api.addEventListener('online', () => this.banner(null, 'rest'));
  }

  start() {
    if (this.api.loggedIn) this.enter();
    else this.showLogin();
  }

  // -- logging in -------------------------------------------------------------

  showLogin(notice = null) {
    show($('app-view'), false);
    show($('login-view'));
    const box = $('login-notice');
    box.textContent = notice || '';
    show(box, Boolean(notice));
    if (this.pendingInvite && !notice) {
      box.textContent = 'Log in or register to accept your invite.';
      show(box);
    }
    const form = $('login-form').hidden ? $('register-form') : $('login-form');
    form.querySelector('input').focus();
  }

  async submitAuth(form, action) {
    const error = form.querySelector('.form-error');
    const button = form.querySelector('button[type=submit]');
    error.textContent = '';
    button.disabled = true;
    const data = new FormData(form);
    try {
      if (action === 'register') {
        await this.api.register(data.get('username'), data.get('email'), data.get('password'));
      } else {
        await this.api.login(data.get('email'), data.get('password'));
      }
      form.reset();
      this.enter();
    } catch (failure) {
      error.textContent = errorMessage(failure.body, failure.message);
    } finally {
      button.disabled = false;
    }
  }

  async enter() {
    show($('login-view'), false);
    show($('app-view'));
    try {
      const [me, discovery] = await Promise.all([this.api.get('/users/@me'), this.api.get('/gateway')]);
      this.store.me = me;
      this.sidebar.renderGuilds();
      this.connect(discovery.url);
    } catch (failure) {
      if (failure.status !== 401) this.banner(`Could not start: ${failure.message}`, 'rest');
      return;
    }
    if (this.pendingInvite) this.dialogs.openJoin(this.pendingInvite);
    this.pendingInvite = null;
  }

  connect(url) {
    if (this.gateway) this.gateway.stop();
    const gateway = new Gateway(url, () => this.api.accessToken);
    this.gateway = gateway;
    gateway.addEventListener('dispatch', (event) => this.dispatch(event.detail));
    gateway.addEventListener('connected', () => this.banner(null, 'gateway'));
    gateway.addEventListener('disconnected', () =>
      this.banner('Connection lost. Reconnecting…', 'gateway'),
    );
    gateway.addEventListener('invalidated', () => {
      // A new session starts from scratch: what was loaded may have gaps.
      for (const channelId of [...this.store.histories.keys()]) {
        if (channelId !== this.chat.channelId) this.store.resetHistory(channelId);
      }
      this.needsReload = true;
    });
    gateway.addEventListener('unauthorized', async () => {
      if (await this.api.refresh()) gateway.start();
    });
    gateway.start();
  }

  async logout() {
    if (this.gateway) this.gateway.stop();
    this.gateway = null;
    try {
      await this.api.logout();
    } catch {
      // Logged out locally all the same.
    }
    this.loggedOut(null);
  }

  loggedOut(notice) {
    if (this.gateway) this.gateway.stop();
    this.gateway = null;
    this.api.clearTokens();
    this.store = this.resetStore();
    this.showLogin(notice);
  }

  resetStore() {
    // Same Store object (the views hold it), emptied.
    const store = this.store;
    store.me = null;
    store.guilds.clear();
    store.histories.clear();
    store.typing.clear();
    store.unread.clear();
    this.guildId = null;
    this.sidebar.guildId = null;
    this.sidebar.channelId = null;
    this.chat.open(null);
    this.sidebar.renderGuilds();
    this.sidebar.renderGuild();
    return store;
  }

  // -- live updates -------------------------------------------------------------

  dispatch({ t, d }) {
    this.store.apply(t, d);
    if (t === 'READY' && this.needsReload) {
      this.needsReload = false;
      this.chat.reload();
    }
    if (t === 'GUILD_CREATE') {
      // A guild created or joined after READY comes without presences: ask for them.
      if (!(d.presences && d.presences.length) && (d.members || []).length > 1) {
        this.gateway.send(8, { guild_id: d.id, query: '', limit: 0, presences: true });
      }
      this.guildArrived(d.id);
    }
  }

  wireStore() {
    const store = this.store;
    store.addEventListener('guilds', () => {
      if (this.guildId && !store.guilds.has(this.guildId)) this.selectGuild(null);
      this.sidebar.renderGuilds();
    });
    store.addEventListener('guild', (event) => {
      const { id, newMember } = event.detail;
      if (newMember && this.gateway) this.gateway.requestMembers(id, [newMember]);
      if (id !== this.guildId) return;
      const guild = store.guilds.get(id);
      if (this.chat.channel && !guild.channels.has(this.chat.channelId)) {
        this.selectChannel(firstTextChannel(guild)?.id ?? null);
      } else if (this.chat.channel) {
        this.chat.channel = guild.channels.get(this.chat.channelId);
      }
      this.sidebar.renderGuild();
    });
    store.addEventListener('message', (event) => this.chat.update(event.detail));
    store.addEventListener('unread', () => this.sidebar.renderGuild());
    store.addEventListener('typing', (event) => {
      if (event.detail.channelId === this.chat.channelId) this.chat.renderTyping();
    });
  }

  guildArrived(id) {
    if (this.awaitedGuild === id || (!this.guildId && !this.awaitedGuild)) {
      this.awaitedGuild = null;
      this.selectGuild(id);
    }
  }

  awaitGuild(id) {
    if (this.store.guilds.has(id)) this.selectGuild(id);
    else this.awaitedGuild = id;
  }

  // -- navigation ---------------------------------------------------------------

  selectGuild(id) {
    const guild = id ? this.store.guilds.get(id) : undefined;
    this.guildId = guild ? id : null;
    this.sidebar.guildId = this.guildId;
    this.sidebar.renderGuilds();
    let channel = null;
    if (guild) {
      const remembered = guild.channels.get(sessionStorage.getItem(`${LAST_CHANNEL_KEY}.${id}`));
      channel = isTextChannel(remembered) ? remembered : firstTextChannel(guild);
      if (guild.large && this.gateway) this.gateway.send(8, { guild_id: id, query: '', limit: 0, presences: true });
    }
    this.selectChannel(channel ? channel.id : null);
  }

  selectChannel(id) {
    const guild = this.guildId && this.store.guilds.get(this.guildId);
    const channel = guild && id ? guild.channels.get(id) : null;
    this.sidebar.channelId = channel ? channel.id : null;
    if (channel) sessionStorage.setItem(`${LAST_CHANNEL_KEY}.${guild.id}`, channel.id);
    this.chat.open(channel || null).catch((failure) => this.chat.flash(failure.message));
    this.sidebar.renderGuild();
  }

  wireControls() {
    $('login-form').addEventListener('submit', (event) => {
      event.preventDefault();
      this.submitAuth(event.target, 'login');
    });
    $('register-form').addEventListener('submit', (event) => {
      event.preventDefault();
      this.submitAuth(event.target, 'register');
    });
    for (const button of document.querySelectorAll('[data-show]')) {
      button.addEventListener('click', () => {
        show($('login-form'), button.dataset.show === 'login-form');
        show($('register-form'), button.dataset.show === 'register-form');
        $(button.dataset.show).querySelector('input').focus();
      });
    }
    $('create-guild-button').addEventListener('click', () => this.dialogs.openCreateGuild());
    $('join-guild-button').addEventListener('click', () => this.dialogs.openJoin());
    $('invite-button').addEventListener('click', () => {
      if (this.chat.channelId) this.dialogs.openInvite(this.chat.channelId);
    });
    $('logout-button').addEventListener('click', () => this.logout());
  }

  banners = new Map();

  /** One banner line per source ('gateway', 'rest'); null clears that source's. */
  banner(text, source) {
    if (text) this.banners.set(source, text);
    else this.banners.delete(source);
    const node = $('banner');
    node.textContent = [...this.banners.values()].join(' ');
    show(node, this.banners.size > 0);
  }
}

function inviteInPath(path) {
  const match = path.match(/^\/invite\/([A-Za-z0-9_-]+)\/?$/);
  return match ? match[1] : null;
}

const app = new App();
app.start();
// For the curious and for tests: the running page's objects.
window.accord = app;
