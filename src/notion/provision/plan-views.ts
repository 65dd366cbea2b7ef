/**
 * Compares a database spec's views (and its dashboard) with the live views and
 * says what to create or update. Pure: no requests.
 *
 * A view is ours by name; failing that, a view of the same type whose
 * configuration matches ours is ours renamed, and is named back. Live views are
 * compared with what we would send as a subset, so fields Notion adds on its own
 * (defaults, property names) never count as drift.
 *
 * Views an earlier version made and the catalogue has retired (the cost charts
 * that moved from Token Usage Logs to Daily Costs) are found the same way and
 * removed, last, and are never taken for one of today's views.
 */
import type { DatabaseSpec, PropertyIdOf, ViewContext, ViewSpec } from '../catalogue/index.js';

export interface LiveView {
  id: string;
  name: string;
  type: string;
  configuration?: Record<string, unknown> | null;
  filter?: Record<string, unknown> | null;
  sorts?: unknown[] | null;
  /** Set on dashboard widgets: the dashboard they sit in. */
  dashboard_view_id?: string | null;
}

/** The body of a view create/update, without the ids that place it. */
export interface ViewBody {
  name: string;
  type: string;
  configuration?: Record<string, unknown>;
  filter?: Record<string, unknown>;
  sorts?: Record<string, unknown>[];
}

export type ViewChange =
  | { kind: 'create'; body: ViewBody }
  | { kind: 'update'; viewId: string; body: Omit<ViewBody, 'type'>; renamedFrom?: string }
  | { kind: 'create-dashboard'; name: string }
  | { kind: 'create-widget'; dashboardName: string; body: ViewBody }
  | { kind: 'delete'; viewId: string; name: string; type: string; movedTo: string };

export function viewBody(spec: ViewSpec, id: PropertyIdOf, context: ViewContext): ViewBody {
  return {
    name: spec.name,
    type: spec.type,
    configuration: spec.configuration(id),
    ...(spec.filter ? { filter: spec.filter(id, context) } : {}),
    ...(spec.sorts ? { sorts: spec.sorts(id) } : {}),
  };
}

/** Is every field of `wanted` present, with the same value, in `actual`? */
export function containsSubset(actual: unknown, wanted: unknown): boolean {
  if (wanted === null || typeof wanted !== 'object') return actual === wanted;
  if (Array.isArray(wanted)) {
    return Array.isArray(actual) && actual.length === wanted.length && wanted.every((w, i) => containsSubset(actual[i], w));
  }
  if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return false;
  return Object.entries(wanted).every(([key, value]) => containsSubset((actual as Record<string, unknown>)[key], value));
}

function sameSettings(live: LiveView, body: ViewBody): boolean {
  return (
    containsSubset(live.configuration ?? {}, body.configuration ?? {}) &&
    (body.filter === undefined || containsSubset(live.filter, body.filter)) &&
    (body.sorts === undefined || containsSubset(live.sorts, body.sorts))
  );
}

export interface PlanViewsOptions {
  /**
   * The database was just created: Notion gave it a default table view, which
   * becomes our first table view instead of a stray extra tab.
   */
  adoptDefaultView?: boolean;
}

function findOurs(body: ViewBody, candidates: LiveView[], taken: Set<string>, adoptAny: boolean): LiveView | undefined {
  const free = candidates.filter((v) => !taken.has(v.id) && v.type === body.type);
  return (
    free.find((v) => v.name === body.name) ??
    free.find((v) => containsSubset(v.configuration ?? {}, body.configuration ?? {}) && sameFilter(v, body)) ??
    (adoptAny ? free[0] : undefined)
  );
}

function sameFilter(live: LiveView, body: ViewBody): boolean {
  return body.filter === undefined ? !live.filter : containsSubset(live.filter, body.filter);
}

function reconcile(body: ViewBody, candidates: LiveView[], taken: Set<string>, adoptAny = false): ViewChange | undefined {
  const live = findOurs(body, candidates, taken, adoptAny);
  if (!live) return { kind: 'create', body };
  taken.add(live.id);
  const settingsDiffer = !sameSettings(live, body);
  if (live.name === body.name && !settingsDiffer) return undefined;
  const { type: _type, ...full } = body;
  return {
    kind: 'update',
    viewId: live.id,
    body: settingsDiffer ? full : { name: body.name },
    ...(live.name !== body.name ? { renamedFrom: live.name } : {}),
  };
}

/**
 * Live views that are retired ones: top-level views by name or configuration,
 * and the retired dashboard by name or because it holds only retired views.
 * Each is marked taken, so nothing of today's catalogue adopts it.
 */
function planRetirements(spec: DatabaseSpec, live: LiveView[], id: PropertyIdOf, context: ViewContext, taken: Set<string>): ViewChange[] {
  const retired = spec.retired;
  if (!retired) return [];
  const bodies = retired.views.map((view) => viewBody(view, id, context));
  const isRetired = (v: LiveView) =>
    bodies.some((b) => b.type === v.type && (b.name === v.name || containsSubset(v.configuration ?? {}, b.configuration ?? {})));
  const doomed: LiveView[] = [];
  for (const view of live.filter((v) => !v.dashboard_view_id && v.type !== 'dashboard')) {
    // Today's views keep their names: a view of ours by name is never retired.
    if (spec.views.some((v) => v.name === view.name && v.type === view.type)) continue;
    if (isRetired(view)) doomed.push(view);
  }
  for (const dashboard of live.filter((v) => v.type === 'dashboard' && v.name !== spec.dashboard?.name)) {
    const widgets = live.filter((v) => v.dashboard_view_id === dashboard.id);
    if (dashboard.name === retired.dashboard || (widgets.length > 0 && widgets.every(isRetired))) doomed.push(dashboard);
  }
  doomed.forEach((v) => taken.add(v.id));
  return doomed.map((v) => ({ kind: 'delete', viewId: v.id, name: v.name, type: v.type, movedTo: retired.movedTo }));
}

export function planViews(
  spec: DatabaseSpec,
  live: LiveView[],
  id: PropertyIdOf,
  context: ViewContext,
  options: PlanViewsOptions = {},
): ViewChange[] {
  const changes: ViewChange[] = [];
  const taken = new Set<string>();
  // Removed after everything else, so the charts' new home exists before the old one goes.
  const retirements = planRetirements(spec, live, id, context, taken);
  const topLevel = live.filter((v) => !v.dashboard_view_id && v.type !== 'dashboard');
  let adoptDefault = options.adoptDefaultView ?? false;
  for (const view of spec.views) {
    const change = reconcile(viewBody(view, id, context), topLevel, taken, adoptDefault && view.type === 'table');
    if (view.type === 'table') adoptDefault = false;
    if (change) changes.push(change);
  }
  if (!spec.dashboard) return [...changes, ...retirements];

  const dashboards = live.filter((v) => v.type === 'dashboard' && !taken.has(v.id));
  const dashboard = dashboards.find((v) => v.name === spec.dashboard!.name) ?? dashboards[0];
  if (!dashboard) changes.push({ kind: 'create-dashboard', name: spec.dashboard.name });
  else if (dashboard.name !== spec.dashboard.name) {
    changes.push({ kind: 'update', viewId: dashboard.id, body: { name: spec.dashboard.name }, renamedFrom: dashboard.name });
  }
  const widgets = dashboard ? live.filter((v) => v.dashboard_view_id === dashboard.id) : [];
  for (const widgetName of spec.dashboard.widgets) {
    const view = spec.views.find((v) => v.name === widgetName);
    if (!view) throw new Error(`dashboard widget “${widgetName}” names no view of ${spec.title}`);
    const change = reconcile(viewBody(view, id, context), widgets, taken);
    if (change?.kind === 'create') changes.push({ kind: 'create-widget', dashboardName: spec.dashboard.name, body: change.body });
    else if (change) changes.push(change);
  }
  return [...changes, ...retirements];
}

export function describeViewChange(change: ViewChange): string {
  switch (change.kind) {
    case 'create':
      return `create ${change.body.type} view “${change.body.name}”`;
    case 'create-dashboard':
      return `create dashboard “${change.name}”`;
    case 'create-widget':
      return `add “${change.body.name}” to dashboard “${change.dashboardName}”`;
    case 'delete':
      return `remove ${change.type === 'dashboard' ? 'dashboard' : `${change.type} view`} “${change.name}” (now in ${change.movedTo})`;
    case 'update':
      if (change.renamedFrom === undefined) return `restore the settings of view “${change.body.name}”`;
      return `${change.body.configuration ? 'turn' : 'rename'} view “${change.renamedFrom}” ${change.body.configuration ? 'into' : 'back to'} “${change.body.name}”`;
  }
}
