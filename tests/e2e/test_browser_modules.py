"""The client's pure modules, imported in the browser as the page imports them.

These check the logic that keeps a conversation right whatever order things
arrive in: history ordering and de-duplication, reaction counts, invite
parsing, error messages.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from accord.config import Settings
from tests.e2e.browser import launched_chromium, running_accord
from tests.e2e.conftest import TEST_JWT_SECRET

pytestmark = pytest.mark.slow


@pytest.fixture
def page(database_url: str, tmp_path: Path) -> Iterator[Any]:
    settings = Settings(
        api_port=0, gateway_port=0, data_dir=tmp_path, jwt_secret=TEST_JWT_SECRET, pool_size=2
    )
    with launched_chromium() as browser, running_accord(settings, database_url) as server:
        page = browser.new_page()
        page.goto(server.url)
        yield page


def test_history_keeps_each_message_once_in_id_order(page: Any) -> None:
    result = page.evaluate(
        """async () => {
          const { History } = await import('/client/store.js');
          const history = new History();
          const put = (id, content) => history.put({ id, content });
          // Ids of different lengths, out of order, one seen twice (POST answer and dispatch).
          const added = [put('1000', 'a'), put('999', 'b'), put('1002', 'c'), put('1001', 'd'),
                         put('1002', 'c, edited')];
          const removed = [history.remove('999'), history.remove('999')];
          return { added, removed, order: history.order, oldest: history.oldest,
                   edited: history.messages.get('1002').content };
        }"""
    )
    assert result == {
        "added": [True, True, True, True, False],
        "removed": [True, False],
        "order": ["1000", "1001", "1002"],
        "oldest": "1000",
        "edited": "c, edited",
    }


def test_reactions_count_and_mark_your_own(page: Any) -> None:
    result = page.evaluate(
        """async () => {
          const { Store } = await import('/client/store.js');
          const store = new Store();
          store.me = { id: '1' };
          const message = { id: '100', channel_id: '10', author: { id: '2' }, reactions: [] };
          store.addPage('10', [message], 50);
          const event = (user_id) => ({ channel_id: '10', message_id: '100', user_id,
                                         emoji: { id: null, name: '👍' } });
          const seen = [];
          const snap = () => {
            const { reactions } = store.history('10').messages.get('100');
            seen.push(JSON.stringify(reactions.map((r) => [r.emoji.name, r.count, r.me])));
          };
          store.apply('MESSAGE_REACTION_ADD', event('2')); snap();
          store.apply('MESSAGE_REACTION_ADD', event('1')); snap();
          store.apply('MESSAGE_REACTION_REMOVE', event('1')); snap();
          store.apply('MESSAGE_REACTION_REMOVE', event('2')); snap();
          // For a message that was never loaded: nothing to count, nothing breaks.
          store.apply('MESSAGE_REACTION_ADD', { ...event('2'), message_id: '404' });
          return seen;
        }"""
    )
    assert result == [
        '[["👍",1,false]]',
        '[["👍",2,true]]',
        '[["👍",1,false]]',
        "[]",
    ]


def test_invite_codes_are_read_from_codes_and_links(page: Any) -> None:
    result = page.evaluate(
        """async () => {
          const { inviteCode } = await import('/client/dialogs.js');
          return ['abc123', ' https://chat.example/invite/Ab_C-9 ', 'http://127.0.0.1:8080/invite/x1/',
                  'chat.example/invite/x2?utm=1', 'not a code!', ''].map(inviteCode);
        }"""
    )
    assert result == ["abc123", "Ab_C-9", "x1", "x2", None, None]


def test_error_bodies_give_their_first_field_message(page: Any) -> None:
    result = page.evaluate(
        """async () => {
          const { errorMessage } = await import('/client/dom.js');
          return [
            errorMessage({
              code: 50035,
              message: 'Invalid Form Body',
              errors: { email: { _errors: [{ message: 'Email is already registered' }] } },
            }),
            errorMessage({ code: 10006, message: 'Unknown Invite' }),
            errorMessage(null, 'fallback'),
          ];
        }"""
    )
    assert result == [
        "email: Email is already registered",
        "Unknown Invite",
        "fallback",
    ]
