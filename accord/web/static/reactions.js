// The small menu of emoji that the React button opens.

import { $, h, show } from './dom.js';

export const EMOJI = ['👍', '❤️', '😂', '🎉', '😮', '😢', '👀', '🚀'];

export class ReactionPicker {
  constructor(onPick) {
    this.onPick = onPick;
    this.message = null;
    this.node = $('reaction-picker');
    this.node.replaceChildren(
      ...EMOJI.map((emoji) =>
        h('button', {
          type: 'button',
          role: 'menuitem',
          'aria-label': `React with ${emoji}`,
          text: emoji,
          onclick: () => {
            const message = this.message;
            this.close();
            if (message) this.onPick(message, { id: null, name: emoji });
          },
        }),
      ),
    );
    document.addEventListener('click', (event) => {
      if (!this.node.hidden && !this.node.contains(event.target) && !event.target.closest('.react')) {
        this.close();
      }
    });
    document.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') this.close();
    });
  }

  open(message, anchor) {
    this.message = message;
    const box = anchor.getBoundingClientRect();
    show(this.node);
    const width = this.node.offsetWidth;
    this.node.style.left = `${Math.max(8, Math.min(box.right - width, window.innerWidth - width - 8))}px`;
    this.node.style.top = `${Math.max(8, box.top - this.node.offsetHeight - 4)}px`;
    this.node.querySelector('button').focus();
  }

  close() {
    this.message = null;
    show(this.node, false);
  }
}
