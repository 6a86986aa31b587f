// The three dialogs: create a guild, join one by code or link, invite people.

import { $, errorMessage, show } from './dom.js';

/** The code in "abc123", "https://host/invite/abc123" or "host/invite/abc123/". */
export function inviteCode(text) {
  const trimmed = text.trim();
  const match = trimmed.match(/\/invite\/([A-Za-z0-9_-]+)\/?(?:[?#].*)?$/);
  if (match) return match[1];
  const last = trimmed.split('/').filter(Boolean).pop() || '';
  return /^[A-Za-z0-9_-]+$/.test(last) ? last : null;
}

function wire(dialog, onSubmit) {
  const form = dialog.querySelector('form');
  const error = form.querySelector('.form-error');
  const cancel = form.querySelector('.cancel');
  if (cancel) cancel.addEventListener('click', () => dialog.close());
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.textContent = '';
    const submit = form.querySelector('button[type=submit]');
    submit.disabled = true;
    try {
      await onSubmit(new FormData(form));
      dialog.close();
    } catch (failure) {
      error.textContent = errorMessage(failure.body, failure.message);
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

export class Dialogs {
  constructor(api, { onGuildCreated, onGuildJoined, onJoinClosed }) {
    this.api = api;
    const createDialog = $('create-guild-dialog');
    this.createForm = wire(createDialog, async (data) => {
      const guild = await api.post('/guilds', { name: String(data.get('name')).trim() });
      onGuildCreated(guild);
    });
    const joinDialog = $('join-dialog');
    this.joinForm = wire(joinDialog, async (data) => {
      const code = inviteCode(String(data.get('invite')));
      if (!code) throw new Error('That is not an invite code or link');
      const invite = await api.post(`/invites/${encodeURIComponent(code)}`);
      onGuildJoined(invite.guild ? invite.guild.id : invite.guild_id);
    });
    joinDialog.addEventListener('close', () => onJoinClosed());
    const input = this.joinForm.elements.invite;
    input.addEventListener('change', () => this.preview(input.value));
    const inviteDialog = $('invite-dialog');
    wire(inviteDialog, async () => {});
    $('copy-invite').addEventListener('click', async () => {
      const link = $('invite-link');
      link.select();
      try {
        await navigator.clipboard.writeText(link.value);
        $('copy-invite').textContent = 'Copied';
      } catch {
        document.execCommand('copy');
      }
    });
  }

  openCreateGuild() {
    this.createForm.reset();
    this.createForm.querySelector('.form-error').textContent = '';
    $('create-guild-dialog').showModal();
  }

  openJoin(prefill = '') {
    this.joinForm.reset();
    this.joinForm.querySelector('.form-error').textContent = '';
    $('invite-preview').textContent = '';
    this.joinForm.elements.invite.value = prefill;
    $('join-dialog').showModal();
    if (prefill) this.preview(prefill);
  }

  async preview(text) {
    const code = inviteCode(text);
    const preview = $('invite-preview');
    preview.textContent = '';
    if (!code) return;
    try {
      const invite = await this.api.get(`/invites/${encodeURIComponent(code)}`);
      const name = invite.guild ? invite.guild.name : 'a guild';
      const channel = invite.channel ? ` (#${invite.channel.name})` : '';
      preview.textContent = `You are invited to ${name}${channel}.`;
    } catch (failure) {
      preview.textContent = errorMessage(failure.body, 'Unknown invite');
    }
  }

  async openInvite(channelId) {
    const dialog = $('invite-dialog');
    const error = dialog.querySelector('.form-error');
    const link = $('invite-link');
    error.textContent = '';
    link.value = 'Creating…';
    $('copy-invite').textContent = 'Copy';
    show($('copy-invite'));
    dialog.showModal();
    try {
      const invite = await this.api.post(`/channels/${channelId}/invites`, { max_age: 86400 });
      link.value = `${location.origin}/invite/${invite.code}`;
      link.dataset.code = invite.code;
      link.select();
    } catch (failure) {
      link.value = '';
      error.textContent = errorMessage(failure.body, failure.message);
    }
  }
}
