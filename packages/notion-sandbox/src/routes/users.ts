/** Users: the integration's bot user (`users/me`), retrieve and list. */
import { notionErrors } from '../errors.js';
import { pathId } from '../ids.js';
import { paginate } from '../pagination.js';
import { route, type Route } from '../router.js';
import { serializeBot } from '../serialize.js';
import { pageSizeOf } from '../validation.js';

export const userRoutes: Route[] = [
  route('GET', '/v1/users/me', ({ store }) => serializeBot(store)),
  route('GET', '/v1/users/:user_id', ({ store, params }) => {
    const id = pathId('user_id', params.user_id!);
    if (id !== store.bot.id) throw notionErrors.notFound('user', id);
    return serializeBot(store);
  }),
  route('GET', '/v1/users', ({ store, query, cursors }) => {
    const users = [serializeBot(store) as { id: string }];
    const page = paginate(cursors, 'users', users, query.get('start_cursor'), pageSizeOf(query.get('page_size') ?? undefined, 'query'), 'query');
    return { object: 'list', ...page, type: 'user', user: {} };
  }),
];
