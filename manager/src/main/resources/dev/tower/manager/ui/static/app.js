// Tower web UI: one page whose script shows what the address names, kept live by the master's event stream.
// Plain JavaScript, no build step; every value from the cluster is written as text, never as HTML.
'use strict';

const PAGE_SIZE = 100;
const EVENTS_KEPT = 2000;
const TASK_STATES = ['STAGING', 'STARTING', 'RUNNING', 'KILLING', 'FINISHED', 'FAILED', 'KILLED', 'ERROR', 'LOST',
  'DROPPED', 'GONE', 'UNREACHABLE', 'UNKNOWN'];
const KINDS = [['cpus', 'CPUs', ''], ['mem', 'Memory', ' MB'], ['disk', 'Disk', ' MB'], ['gpus', 'GPUs', '']];

// ---- DOM helpers ----

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  return append(el, ...children);
}

function append(el, ...children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function svg(tag, attrs) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, v);
  return el;
}

function link(href, text) {
  return h('a', { href }, text);
}

function state(s) {
  return h('span', { class: 'state ' + s, 'data-state': s }, s);
}

function num(v, digits) {
  if (v === undefined || v === null) return '0';
  const d = digits === undefined ? (Number.isInteger(v) ? 0 : 2) : digits;
  return Number(v).toLocaleString('en-US', { maximumFractionDigits: d });
}

function scalar(res, kind) {
  return res && typeof res[kind] === 'number' ? res[kind] : 0;
}

function resources(res) {
  if (!res) return '';
  return Object.entries(res).map(([k, v]) => Array.isArray(v)
    ? k + ':' + v.map(r => r.begin === r.end ? r.begin : r.begin + '-' + r.end).join(',')
    : k + ':' + num(v)).join(' ');
}

function time(seconds) {
  if (!seconds) return '';
  return new Date(seconds * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

function bar(used, total) {
  const frac = total > 0 ? Math.min(1, used / total) : 0;
  const fill = h('span');
  fill.style.width = (frac * 100).toFixed(1) + '%';
  return h('div', { class: 'bar', title: num(used) + ' of ' + num(total) }, fill);
}

function table(headers, rows) {
  return h('table', {},
    h('thead', {}, h('tr', {}, headers.map(c => h('th', { class: c.num ? 'num' : null }, c.label || c)))),
    h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: headers.length, class: 'muted' }, 'none'))));
}

function row(...cells) {
  return h('tr', {}, cells.map(c => c instanceof Node && c.tagName === 'TD' ? c : h('td', {}, c)));
}

function numCell(v) {
  return h('td', { class: 'num' }, v);
}

function pager(total, offset, limit, go) {
  const last = Math.max(0, total - 1);
  return h('div', { class: 'pager' },
    h('button', { disabled: offset <= 0, onclick: () => go(Math.max(0, offset - limit)) }, '‹ Previous'),
    h('span', { class: 'muted', 'data-total': total },
      total === 0 ? 'no matches' : `${num(offset + 1)}–${num(Math.min(total, offset + limit))} of ${num(total)}`),
    h('button', { disabled: offset + limit > last, onclick: () => go(offset + limit) }, 'Next ›'));
}

// ---- talking to the master ----

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function api(path) {
  const r = await fetch(path, { headers: { Accept: 'application/json' }, cache: 'no-store' });
  const text = await r.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch (e) {
    throw new ApiError(r.status, `${path}: not JSON (HTTP ${r.status})`);
  }
  if (!r.ok) throw new ApiError(r.status, (body && body.error) || `${path}: HTTP ${r.status}`);
  return { body, total: Number(r.headers.get('X-Total-Count') || 0) };
}

function q(params) {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') s.set(k, v);
  const text = s.toString();
  return text ? '?' + text : '';
}

// ---- the live connection: the event stream, and the leader ----

const live = {
  listeners: new Set(),
  reloadListeners: new Set(),
  events: [],
  connected: false,
  health: null,
  retry: 1000,

  start() {
    this.connect();
    setInterval(() => this.checkLeader(), 10000);
  },

  async connect() {
    const controller = new AbortController();
    // Leaving the page must free the connection at once: a browser allows only six per host.
    const leave = () => controller.abort();
    window.addEventListener('pagehide', leave);
    try {
      const r = await fetch('/api/v1/events', { headers: { Accept: 'text/event-stream' }, signal: controller.signal });
      if (!r.ok || !r.body) throw new Error('HTTP ' + r.status);
      this.setConnected(true);
      this.retry = 1000;
      this.loadRecent();
      await this.read(r.body.getReader());
    } catch (e) {
      // fall through: the stream ended or could not open
    }
    window.removeEventListener('pagehide', leave);
    if (controller.signal.aborted) return;
    this.setConnected(false);
    await this.checkLeader();
    setTimeout(() => this.connect(), this.retry);
    this.retry = Math.min(this.retry * 2, 10000);
  },

  async read(reader) {
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let end;
      while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, '');
        this.dispatch(block);
      }
    }
  },

  // What happened before the stream opened: the master keeps its last events.
  async loadRecent() {
    try {
      const { body: recent } = await api('/api/v1/events/recent?limit=1000');
      const seen = new Set(this.events.map(e => e.id));
      this.events = recent.filter(e => !seen.has(e.id)).concat(this.events).slice(-EVENTS_KEPT);
      for (const l of this.reloadListeners) l();
    } catch (e) {
      // the stream still shows what happens from now on
    }
  },

  dispatch(block) {
    let type = 'message';
    const data = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith('event:')) type = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    if (type === 'HEARTBEAT' || type === 'SUBSCRIBED' || !data.length) return;
    let event;
    try {
      event = JSON.parse(data.join('\n'));
    } catch (e) {
      return;
    }
    this.events.push(event);
    if (this.events.length > EVENTS_KEPT) this.events.splice(0, this.events.length - EVENTS_KEPT);
    for (const l of this.listeners) l(event);
  },

  setConnected(on) {
    this.connected = on;
    document.getElementById('live').className = 'dot' + (on ? ' live' : ' down');
    document.getElementById('live').title = on ? 'live: events stream open' : 'not live: reconnecting';
  },

  // This page's master is gone: ask the other masters it named which one leads now, and go there (with this page's
  // scheme: the masters of a cluster all serve HTTPS, or none does).
  async findLeader() {
    let known = [];
    try {
      known = JSON.parse(localStorage.getItem('tower.masters') || '[]');
    } catch (e) {
      return false;
    }
    for (const m of known) {
      if (m === location.host) continue;
      try {
        const r = await fetch(location.protocol + '//' + m + '/health', { cache: 'no-store', signal: AbortSignal.timeout(3000) });
        const b = await r.json();
        const leader = b.role === 'leader' ? m : b.leader;
        if (leader && leader !== location.host) {
          location.replace(location.protocol + '//' + leader + location.pathname + location.search);
          return true;
        }
      } catch (e) {
        // that one is gone too, or not answering yet
      }
    }
    return false;
  },

  // A standby sends the browser to the leader, keeping the page the user is on.
  async checkLeader() {
    const banner = document.getElementById('banner');
    try {
      const { body } = await api('/health');
      this.health = body;
      if (body.masters && body.masters.length) {
        localStorage.setItem('tower.masters', JSON.stringify(body.masters));
      }
      if (body.role === 'standby' && body.leader) {
        location.replace(location.protocol + '//' + body.leader + location.pathname + location.search);
        return;
      }
      document.getElementById('master-text').textContent = body.role === 'leader'
        ? `leader ${body.leader} · epoch ${body.epoch}` : `standby · ${body.reason || 'no leader elected yet'}`;
      banner.hidden = body.role === 'leader';
      if (body.role !== 'leader') banner.textContent = 'No leading master yet: ' + (body.reason || 'waiting') + '.';
    } catch (e) {
      if (await this.findLeader()) return;
      banner.hidden = false;
      banner.textContent = `The master at ${location.host} cannot be reached; retrying. ` +
        'With several masters, open the UI of another one: it sends you to the leader.';
      document.getElementById('master-text').textContent = 'unreachable';
    }
  },
};

// Runs `refresh` now and again after cluster events, at most once a second, while the view is shown.
function liveRefresh(view, refresh, wants) {
  let timer = null;
  let running = false;
  let again = false;
  const run = async () => {
    timer = null;
    if (running) { again = true; return; }
    running = true;
    try {
      await refresh();
    } catch (e) {
      showError(view, e);
    }
    running = false;
    if (again) { again = false; schedule(); }
  };
  const schedule = () => { if (!timer) timer = setTimeout(run, 1000); };
  const listener = e => { if (!wants || wants(e)) schedule(); };
  live.listeners.add(listener);
  view.cleanup.push(() => { live.listeners.delete(listener); clearTimeout(timer); });
  return run();
}

function showError(view, e) {
  const box = view.root.querySelector('.load-error') || view.root.appendChild(h('p', { class: 'error load-error' }));
  box.textContent = e.message;
}

// ---- pages ----

async function overviewPage(view) {
  const root = view.root;
  append(root, h('h1', {}, 'Cluster overview'));
  const cards = root.appendChild(h('div', { class: 'cards', id: 'overview-cards' }));
  append(root, h('h2', {}, 'Resources: allocated vs total, last hour'));
  const charts = root.appendChild(h('div', { class: 'charts' }));
  append(root, h('h2', {}, 'Roles: dominant share vs weight'));
  const roles = root.appendChild(h('div'));

  const drawSummary = s => {
    const agentsTotal = Object.values(s.agents).reduce((a, b) => a + b, 0);
    const fwTotal = (s.frameworks.CONNECTED || 0) + (s.frameworks.DISCONNECTED || 0);
    const taskStates = Object.entries(s.tasks);
    const active = taskStates.filter(([k]) => ['STAGING', 'STARTING', 'RUNNING', 'KILLING'].includes(k))
      .reduce((a, [, v]) => a + v, 0);
    cards.replaceChildren(
      h('div', { class: 'card' }, h('div', { class: 'label' }, 'Leader'),
        h('div', { class: 'value small mono', id: 'leader' }, (live.health && live.health.leader) || location.host),
        h('div', { class: 'sub' }, `epoch ${s.epoch} · ${s.version} · since ${time(s.startedAt)}`)),
      h('div', { class: 'card' }, h('div', { class: 'label' }, link('/agents', 'Agents')),
        h('div', { class: 'value', id: 'agents-active' }, num(s.agents.ACTIVE || 0)),
        h('div', { class: 'sub', id: 'agents-total' }, `active of ${num(agentsTotal)}`),
        h('div', { class: 'states' }, Object.entries(s.agents).map(([k, v]) => state(k + ' ' + v)))),
      h('div', { class: 'card' }, h('div', { class: 'label' }, link('/frameworks', 'Frameworks')),
        h('div', { class: 'value', id: 'frameworks-connected' }, num(s.frameworks.CONNECTED || 0)),
        h('div', { class: 'sub' }, `connected of ${num(fwTotal)}` +
          (s.frameworks.SUPPRESSED ? ` · ${s.frameworks.SUPPRESSED} suppressed` : ''))),
      h('div', { class: 'card' }, h('div', { class: 'label' }, link('/tasks', 'Tasks')),
        h('div', { class: 'value', id: 'tasks-active' }, num(active)),
        h('div', { class: 'sub' }, `active · ${num(s.offers)} offers outstanding`),
        h('div', { class: 'states', id: 'task-states' }, taskStates.map(([k, v]) =>
          h('a', { href: '/tasks' + q({ state: k }), class: 'state ' + k, id: 'tasks-' + k, 'data-count': v },
            `${k} ${num(v)}`)))));
    roles.replaceChildren(table(['Role', { label: 'Weight', num: 1 }, 'Dominant share', { label: 'Share', num: 1 },
      { label: 'Weighted share', num: 1 }, 'Allocated', 'Frameworks'],
    s.roles.map(r => {
      const fairShare = weightShare(s.roles, r);
      const b = bar(r.dominantShare, 1);
      const mark = h('i');
      mark.style.left = (fairShare * 100).toFixed(1) + '%';
      b.append(mark);
      b.title = `dominant share ${(r.dominantShare * 100).toFixed(1)}%; its weight's part of all weights ` +
        `${(fairShare * 100).toFixed(1)}%`;
      return row(r.name, numCell(num(r.weight)), b, numCell((r.dominantShare * 100).toFixed(1) + '%'),
        numCell(num(r.weightedShare, 3)), resources(r.allocated),
        r.frameworks.map((f, i) => [i ? ', ' : '', link('/frameworks/' + encodeURIComponent(f), f)]));
    })));
    return s;
  };

  const drawHistory = (samples, s) => {
    charts.replaceChildren(...KINDS.map(([kind, label, unit]) => chart(label, unit,
      samples.map(p => ({ t: p.time, total: scalar(p.total, kind), used: scalar(p.allocated, kind) })),
      scalar(s.allocated, kind), scalar(s.total, kind))));
  };

  let lastHistory = 0;
  let samples = [];
  await liveRefresh(view, async () => {
    const { body: s } = await api('/api/v1/summary');
    drawSummary(s);
    if (Date.now() - lastHistory > 5000) {
      samples = (await api('/api/v1/history')).body;
      lastHistory = Date.now();
    }
    drawHistory(samples, s);
  });
  const poll = setInterval(() => api('/api/v1/history').then(r => { samples = r.body; lastHistory = Date.now(); })
    .catch(() => {}), 15000);
  view.cleanup.push(() => clearInterval(poll));
}

// The share of the cluster a role's weight entitles it to when every listed role wants more.
function weightShare(roles, role) {
  const all = roles.reduce((a, r) => a + r.weight, 0);
  return all > 0 ? role.weight / all : 0;
}

function chart(label, unit, points, usedNow, totalNow) {
  const W = 300, H = 100, now = Date.now() / 1000, from = now - 3600;
  const max = Math.max(1, totalNow, ...points.map(p => p.total));
  const x = t => ((Math.max(from, t) - from) / 3600 * W).toFixed(1);
  const y = v => (H - v / max * (H - 12)).toFixed(1);
  const s = svg('svg', { viewBox: `0 0 ${W} ${H + 12}`, preserveAspectRatio: 'none', 'data-kind': label });
  if (points.length) {
    const area = points.map(p => `${x(p.t)},${y(p.used)}`);
    s.append(svg('polygon', { class: 'area', points: `${x(points[0].t)},${H} ${area.join(' ')} ${x(points[points.length - 1].t)},${H}` }));
    s.append(svg('polyline', { class: 'total', points: points.map(p => `${x(p.t)},${y(p.total)}`).join(' ') }));
  }
  const axis = (text, xPos, anchor) => {
    const t = svg('text', { x: xPos, y: H + 11, class: 'axis', 'text-anchor': anchor });
    t.textContent = text;
    return t;
  };
  s.append(axis('−60 min', 0, 'start'), axis('now', W, 'end'));
  const top = svg('text', { x: 2, y: 9, class: 'axis' });
  top.textContent = num(max) + unit;
  s.append(top);
  return h('div', { class: 'chart' },
    h('div', { class: 'title' }, h('strong', {}, label),
      h('span', { class: 'muted' }, `${num(usedNow)}${unit} of ${num(totalNow)}${unit} allocated`)),
    s);
}

async function agentsPage(view) {
  append(view.root, h('h1', {}, 'Agents'));
  const body = view.root.appendChild(h('div'));
  let offset = 0;
  const draw = async () => {
    const { body: agents } = await api('/api/v1/agents');
    const page = agents.slice(offset, offset + PAGE_SIZE);
    body.replaceChildren(pager(agents.length, offset, PAGE_SIZE, o => { offset = o; draw(); }),
      table(['Agent', 'Host', 'State', { label: 'Tasks', num: 1 }, 'CPUs', 'Memory', 'Disk', 'GPUs', 'Attributes'],
        page.map(a => row(link('/agents/' + encodeURIComponent(a.id), a.id), `${a.hostname}:${a.port}`, state(a.state),
          numCell(num(a.activeTasks)), ...KINDS.map(([k, , unit]) => usedOfTotal(a, k, unit)),
          Object.entries(a.attributes || {}).map(([k, v]) => k + '=' + v).join(' ')))));
  };
  await liveRefresh(view, draw, e => e.type.startsWith('agent.') || e.type === 'task.launched' || e.type === 'task.status');
}

function usedOfTotal(holder, kind, unit) {
  const used = scalar(holder.used, kind) + scalar(holder.offered, kind);
  const total = scalar(holder.total, kind);
  return h('td', {}, bar(used, total), h('span', { class: 'muted' }, `${num(used)} / ${num(total)}${unit}`));
}

async function agentPage(view, id) {
  append(view.root, h('h1', {}, 'Agent ', h('span', { class: 'mono' }, id)));
  const facts = view.root.appendChild(h('div'));
  append(view.root, h('h2', {}, 'Tasks on this agent'));
  const tasks = view.root.appendChild(h('div'));
  const list = taskList(tasks, () => ({ agent: id }));
  await liveRefresh(view, async () => {
    const { body: agents } = await api('/api/v1/agents');
    const a = agents.find(x => x.id === id);
    if (!a) {
      facts.replaceChildren(h('p', { class: 'error' }, `No agent ${id} is known to this master.`));
    } else {
      facts.replaceChildren(h('dl', { class: 'facts' },
        h('dt', {}, 'State'), h('dd', {}, state(a.state)),
        h('dt', {}, 'Address'), h('dd', { class: 'mono' }, `${a.hostname}:${a.port}`),
        h('dt', {}, 'Registered'), h('dd', {}, time(a.registeredAt)),
        a.unreachableSince ? [h('dt', {}, 'Unreachable since'), h('dd', {}, time(a.unreachableSince))] : [],
        KINDS.map(([k, label, unit]) => [h('dt', {}, label), h('dd', {}, usedOfTotal(a, k, unit).childNodes[0],
          ` used ${num(scalar(a.used, k))}${unit}, offered ${num(scalar(a.offered, k))}${unit}, total ${num(scalar(a.total, k))}${unit}`)]),
        h('dt', {}, 'Resources'), h('dd', { class: 'mono' }, resources(a.total)),
        h('dt', {}, 'Attributes'), h('dd', { class: 'mono' },
          Object.entries(a.attributes || {}).map(([k, v]) => k + '=' + v).join('  ') || 'none')));
    }
    await list.refresh();
  }, e => e.type.startsWith('task.') || e.type.startsWith('agent.'));
}

async function frameworksPage(view) {
  append(view.root, h('h1', {}, 'Frameworks'));
  const body = view.root.appendChild(h('div'));
  let offset = 0;
  const draw = async () => {
    const { body: fws } = await api('/api/v1/frameworks');
    body.replaceChildren(pager(fws.length, offset, PAGE_SIZE, o => { offset = o; draw(); }),
      table(['Framework', 'Name', 'Role', 'Principal', 'State', { label: 'Tasks', num: 1 }, { label: 'Offers', num: 1 },
        'Used', 'Offered'],
      fws.slice(offset, offset + PAGE_SIZE).map(f => row(link('/frameworks/' + encodeURIComponent(f.id), f.id), f.name,
        f.role, f.principal || '', [state(f.state), f.suppressed ? [' ', state('SUPPRESSED')] : []],
        numCell(num(f.activeTasks)), numCell(num(f.outstandingOffers)), resources(f.used), resources(f.offered)))));
  };
  await liveRefresh(view, draw, e => e.type.startsWith('framework.') || e.type.startsWith('task.')
    || e.type.startsWith('offer.'));
}

async function frameworkPage(view, id) {
  append(view.root, h('h1', {}, 'Framework ', h('span', { class: 'mono' }, id)));
  const facts = view.root.appendChild(h('div'));
  append(view.root, h('h2', {}, 'Why not offered: each agent'));
  const whyNot = view.root.appendChild(h('div', { id: 'whynot' }));
  append(view.root, h('h2', {}, 'Tasks'));
  const tasks = view.root.appendChild(h('div'));
  const list = taskList(tasks, () => ({ framework: id }));
  await liveRefresh(view, async () => {
    const { body: fws } = await api('/api/v1/frameworks');
    const f = fws.find(x => x.id === id);
    if (!f) {
      facts.replaceChildren(h('p', { class: 'error' }, `No framework ${id} is registered with this master ` +
        '(it may have been torn down); its finished tasks are listed below.'));
      whyNot.replaceChildren();
    } else {
      facts.replaceChildren(h('dl', { class: 'facts' },
        h('dt', {}, 'Name'), h('dd', {}, f.name),
        h('dt', {}, 'Role'), h('dd', {}, f.role),
        h('dt', {}, 'Principal'), h('dd', {}, f.principal || '(none)'),
        h('dt', {}, 'State'), h('dd', {}, state(f.state), f.suppressed ? [' ', state('SUPPRESSED')] : []),
        h('dt', {}, 'Registered'), h('dd', {}, time(f.registeredAt)),
        f.failoverDeadline ? [h('dt', {}, 'Removed at'), h('dd', {}, time(f.failoverDeadline))] : [],
        h('dt', {}, 'Failover timeout'), h('dd', {}, num(f.failoverTimeoutSeconds) + ' s'),
        h('dt', {}, 'Resources held'), h('dd', { class: 'mono' }, resources(f.used) || 'none'),
        h('dt', {}, 'Offered now'), h('dd', { class: 'mono' }, resources(f.offered) || 'none'),
        h('dt', {}, 'Active tasks'), h('dd', {}, num(f.activeTasks)),
        h('dt', {}, 'Offers outstanding'), h('dd', {}, num(f.outstandingOffers))));
      const { body: w } = await api('/api/v1/whynot' + q({ framework: id }));
      whyNot.replaceChildren(table(['Agent', 'Host', 'Why', 'Reason'], w.agents.map(e => row(
        link('/agents/' + encodeURIComponent(e.agentId), e.agentId), e.hostname, h('span', { class: 'state' }, e.code),
        h('td', { class: 'whynot-reason' }, e.reason)))));
    }
    await list.refresh();
  });
}

// A paged task table filled by `GET /api/v1/tasks?limit=`; `params()` gives the filter.
function taskList(root, params) {
  let offset = 0;
  const refresh = async () => {
    const { body: tasks, total } = await api('/api/v1/tasks' + q({ ...params(), offset, limit: PAGE_SIZE, order: 'newest' }));
    root.replaceChildren(pager(total, offset, PAGE_SIZE, o => { offset = o; refresh(); }),
      table(['Task', 'Name', 'State', 'Framework', 'Agent', 'Resources', 'Updated'], tasks.map(t => {
        const last = t.statuses.length ? t.statuses[t.statuses.length - 1] : null;
        return h('tr', { 'data-task': t.taskId },
          h('td', {}, link(taskHref(t), t.taskId)), h('td', {}, t.name || ''), h('td', {}, state(t.state)),
          h('td', {}, link('/frameworks/' + encodeURIComponent(t.frameworkId), t.frameworkId)),
          h('td', {}, t.agentId ? link('/agents/' + encodeURIComponent(t.agentId), t.agentId) : ''),
          h('td', { class: 'mono' }, resources(t.resources)), h('td', {}, last ? time(last.timestamp) : ''));
      })));
  };
  return { refresh, reset: () => { offset = 0; } };
}

function taskHref(t) {
  return '/tasks/' + encodeURIComponent(t.taskId) + q({ framework: t.frameworkId });
}

async function tasksPage(view) {
  const params = new URLSearchParams(location.search);
  append(view.root, h('h1', {}, 'Tasks'));
  const field = (name, label, input) => h('label', {}, label, input);
  const stateSel = h('select', { name: 'state' }, h('option', { value: '' }, 'any'),
    TASK_STATES.map(s => h('option', { value: s, selected: params.get('state') === s }, s)));
  const fw = h('input', { name: 'framework', value: params.get('framework') || '', placeholder: 'framework id' });
  const agent = h('input', { name: 'agent', value: params.get('agent') || '', placeholder: 'agent id' });
  const text = h('input', { name: 'q', value: params.get('q') || '', placeholder: 'part of id or name' });
  const results = h('div', { id: 'task-list' });
  const filter = () => ({ state: stateSel.value, framework: fw.value.trim(), agent: agent.value.trim(), q: text.value.trim() });
  const list = taskList(results, filter);
  const apply = e => {
    if (e) e.preventDefault();
    history.replaceState(null, '', '/tasks' + q(filter()));
    list.reset();
    list.refresh().catch(err => showError(view, err));
  };
  stateSel.addEventListener('change', apply);
  append(view.root, h('form', { class: 'filters', onsubmit: apply },
    field('state', 'State', stateSel), field('framework', 'Framework', fw), field('agent', 'Agent', agent),
    field('q', 'Name or id', text), h('button', { type: 'submit' }, 'Filter')), results);
  await liveRefresh(view, list.refresh, e => e.type.startsWith('task.'));
}

async function taskPage(view, id) {
  const framework = new URLSearchParams(location.search).get('framework');
  append(view.root, h('h1', {}, 'Task ', h('span', { class: 'mono', id: 'task-id' }, id)));
  const facts = view.root.appendChild(h('div'));
  const usage = view.root.appendChild(h('div', { id: 'task-usage' }));
  append(view.root, h('h2', {}, 'Status history'));
  const history = view.root.appendChild(h('div', { id: 'status-history' }));
  append(view.root, h('h2', {}, 'Sandbox'));
  const sandbox = view.root.appendChild(h('div', { id: 'sandbox' }));
  let sandboxShown = null;
  await liveRefresh(view, async () => {
    const { body: found } = await api('/api/v1/tasks/' + encodeURIComponent(id));
    const t = found.find(x => !framework || x.frameworkId === framework) || found[0];
    facts.replaceChildren(h('dl', { class: 'facts' },
      h('dt', {}, 'State'), h('dd', { id: 'task-state' }, state(t.state)),
      h('dt', {}, 'Name'), h('dd', {}, t.name || ''),
      h('dt', {}, 'Framework'), h('dd', {}, link('/frameworks/' + encodeURIComponent(t.frameworkId), t.frameworkId)),
      h('dt', {}, 'Agent'), h('dd', {}, t.agentId ? link('/agents/' + encodeURIComponent(t.agentId), t.agentId) : 'none'),
      h('dt', {}, 'Resources'), h('dd', { class: 'mono' }, resources(t.resources)),
      t.command ? [h('dt', {}, 'Command'), h('dd', { class: 'mono' }, commandText(t.command))] : [],
      t.command && t.command.user ? [h('dt', {}, 'User'), h('dd', {}, t.command.user)] : [],
      t.container ? [h('dt', {}, 'Container'), h('dd', { class: 'mono' }, containerText(t.container))] : [],
      found.length > 1 ? [h('dt', {}, 'Same id in'), h('dd', {}, found.filter(x => x !== t)
        .map(x => link(taskHref(x), x.frameworkId)))] : []));
    history.replaceChildren(table(['Time', 'State', 'Source', 'Reason', 'Message', { label: 'Exit', num: 1 }],
      t.statuses.slice().reverse().map(s => row(time(s.timestamp), state(s.state), s.source || '', s.reason || '',
        s.message || '', numCell(s.exitCode === null || s.exitCode === undefined ? '' : s.exitCode)))));
    if (t.agentId && sandboxShown === null) {
      usageView(view, usage, t);
      sandboxShown = sandboxView(view, sandbox, t);
    } else if (!t.agentId && sandboxShown === null) {
      sandbox.replaceChildren(h('p', { class: 'muted' }, 'The task was never placed on an agent: it has no sandbox.'));
    }
  }, e => e.type.startsWith('task.') && typeof e.subject === 'string' && e.subject.endsWith('/' + id));
}

// What the task has used so far, as its agent measures it (cgroups or /proc), every 5 s while it runs.
function usageView(view, root, t) {
  const url = `/api/v1/agents/${encodeURIComponent(t.agentId)}/usage` + q({ task: t.taskId, framework: t.frameworkId });
  const show = async () => {
    try {
      const { body: v } = await api(url);
      const u = v.usage;
      root.replaceChildren(u ? h('dl', { class: 'facts' },
        h('dt', {}, 'CPU used'), h('dd', { id: 'usage-cpu' }, u.cpuSeconds.toFixed(2) + ' s'),
        h('dt', {}, 'Memory'), h('dd', { id: 'usage-memory' }, (u.memoryBytes / 1048576).toFixed(1) + ' MB'),
        h('dt', {}, 'Throttled'), h('dd', { id: 'usage-throttled' },
          `${num(u.throttledPeriods)} periods (${u.throttledSeconds.toFixed(2)} s)`))
        : h('p', { class: 'muted' }, 'Its agent does not measure this task\'s use (Docker task, or not running).'));
    } catch (e) {
      root.replaceChildren(); // ended, or its agent is gone: the status history says why
    }
  };
  show();
  const timer = setInterval(show, 5000);
  view.cleanup.push(() => clearInterval(timer));
}

function commandText(c) {
  const parts = [];
  if (c.value) parts.push(c.value);
  if (c.arguments && c.arguments.length) parts.push((c.shell === false ? '' : 'args: ') + c.arguments.join(' '));
  if (c.environment && Object.keys(c.environment).length) {
    parts.push('env: ' + Object.entries(c.environment).map(([k, v]) => k + '=' + v).join(' '));
  }
  if (c.uris && c.uris.length) parts.push('fetch: ' + c.uris.map(u => u.value || u.uri || JSON.stringify(u)).join(' '));
  return parts.join('\n');
}

function containerText(c) {
  const parts = [`${(c.type || 'DOCKER').toString().toLowerCase()} image ${c.image}`];
  if (c.network) parts.push('network ' + c.network);
  (c.portMappings || []).forEach(p => parts.push(`port ${p.hostPort ?? '?'}→${p.containerPort}`));
  (c.volumes || []).forEach(v => parts.push(`volume ${v.hostPath}:${v.containerPath}${v.mode ? ':' + v.mode : ''}`));
  if (c.privileged) parts.push('privileged');
  return parts.join(' · ');
}

// The task's sandbox through the master's proxy of the agent's /files API: its files, and a live tail of one.
function sandboxView(view, root, t) {
  const base = `/api/v1/agents/${encodeURIComponent(t.agentId)}/files/`;
  const who = { task: t.taskId, framework: t.frameworkId };
  const files = h('div', { id: 'sandbox-files' });
  const tabs = h('div', { class: 'tabs' });
  const out = h('pre', { class: 'tail', id: 'tail' });
  const note = h('div', { class: 'muted', id: 'tail-note' });
  root.replaceChildren(tabs, out, note, h('h2', {}, 'Files'), files);
  let tail = null;
  const show = path => {
    if (tail) tail.stop();
    for (const b of tabs.children) b.classList.toggle('active', b.dataset.path === path);
    tail = tailFile(base + 'read', who, path, out, note);
  };
  for (const name of ['stdout', 'stderr']) {
    tabs.append(h('button', { 'data-path': name, onclick: () => show(name) }, name));
  }
  show('stdout');
  view.cleanup.push(() => tail && tail.stop());
  const list = async () => {
    try {
      const { body: entries } = await api(base + 'browse' + q(who));
      files.replaceChildren(table(['Path', { label: 'Size', num: 1 }, 'Mode', 'Modified'], entries.map(e => row(
        e.dir ? e.path + '/' : h('a', { href: '#', onclick: ev => { ev.preventDefault(); show(e.path); } }, e.path),
        numCell(num(e.size)), h('span', { class: 'mono' }, e.mode), time(e.mtime)))));
    } catch (e) {
      files.replaceChildren(h('p', { class: 'error' }, e.message));
    }
  };
  list();
  const timer = setInterval(list, 5000);
  view.cleanup.push(() => clearInterval(timer));
  return true;
}

// Follows a file: the last 64 KiB first, then whatever is appended, once a second until stopped.
function tailFile(url, who, path, out, note) {
  const CHUNK = 65536, KEEP = 512 * 1024;
  let offset = null, timer = null, stopped = false;
  out.textContent = '';
  const poll = async () => {
    try {
      if (offset === null) {
        const { body: size } = await api(url + q({ ...who, path, offset: -1 }));
        offset = Math.max(0, size.size - CHUNK);
      }
      for (let i = 0; i < 16 && !stopped; i++) { // at most 1 MiB a second
        const { body: c } = await api(url + q({ ...who, path, offset, length: CHUNK }));
        const read = Math.max(0, Math.min(CHUNK, c.size - offset));
        if (c.data) {
          const stick = out.scrollTop + out.clientHeight >= out.scrollHeight - 4;
          out.append(c.data);
          if (out.textContent.length > KEEP) out.textContent = out.textContent.slice(-KEEP);
          if (stick) out.scrollTop = out.scrollHeight;
        }
        offset += read;
        note.textContent = `${path}: ${num(c.size)} bytes`;
        if (read < CHUNK) break;
      }
    } catch (e) {
      note.textContent = `${path}: ${e.message}`;
    }
    if (!stopped) timer = setTimeout(poll, 1000);
  };
  poll();
  return { stop: () => { stopped = true; clearTimeout(timer); } };
}

async function eventsPage(view) {
  append(view.root, h('h1', {}, 'Events'));
  const type = h('input', { name: 'type', placeholder: 'type prefix, e.g. task. or audit.' });
  const text = h('input', { name: 'text', placeholder: 'text in subject or summary' });
  const pause = h('button', { type: 'button' }, 'Pause');
  const count = h('span', { class: 'muted' });
  const body = h('tbody');
  let paused = false;
  pause.addEventListener('click', () => { paused = !paused; pause.textContent = paused ? 'Resume' : 'Pause'; redraw(); });
  append(view.root, h('div', { class: 'filters' }, h('label', {}, 'Type', type), h('label', {}, 'Text', text), pause, count),
    h('table', { class: 'events' }, h('thead', {}, h('tr', {}, ['Time', 'Type', 'Subject', 'Summary'].map(c => h('th', {}, c)))),
      body));
  const keeps = e => (!type.value || e.type.startsWith(type.value.trim()))
    && (!text.value || ((e.subject || '') + ' ' + (e.summary || '')).toLowerCase().includes(text.value.trim().toLowerCase()));
  const line = e => h('tr', {}, h('td', { class: 'mono time', title: e.time || '' }, (e.time || '').slice(11, 23)), h('td', { class: 'type mono' }, e.type),
    h('td', { class: 'mono' }, e.subject || ''), h('td', {}, e.summary || ''));
  const redraw = () => {
    if (paused) return;
    const shown = live.events.filter(keeps).slice(-500).reverse();
    body.replaceChildren(...shown.map(line));
    count.textContent = `${shown.length} shown of the last ${live.events.length} events`;
  };
  type.addEventListener('input', redraw);
  text.addEventListener('input', redraw);
  redraw();
  // Busy clusters publish thousands of events a second: rows are added once per frame, not per event.
  let pending = [];
  const flush = () => {
    const rows = pending.slice(-500).reverse().map(line);
    pending = [];
    body.prepend(...rows);
    while (body.children.length > 500) body.lastChild.remove();
  };
  const listener = e => {
    if (paused || !keeps(e)) return;
    if (!pending.length) requestAnimationFrame(flush);
    pending.push(e);
    if (pending.length > 1000) pending = pending.slice(-500); // a hidden tab gets no frames
  };
  live.listeners.add(listener);
  live.reloadListeners.add(redraw);
  view.cleanup.push(() => { live.listeners.delete(listener); live.reloadListeners.delete(redraw); });
}

// ---- routing: real URLs, history navigation ----

const ROUTES = [
  [/^\/$/, overviewPage, 'overview'],
  [/^\/agents\/?$/, agentsPage, 'agents'],
  [/^\/agents\/([^/]+)\/?$/, agentPage, 'agents'],
  [/^\/frameworks\/?$/, frameworksPage, 'frameworks'],
  [/^\/frameworks\/([^/]+)\/?$/, frameworkPage, 'frameworks'],
  [/^\/tasks\/?$/, tasksPage, 'tasks'],
  [/^\/tasks\/([^/]+)\/?$/, taskPage, 'tasks'],
  [/^\/events\/?$/, eventsPage, 'events'],
];

let current = null;

function route() {
  if (current) current.cleanup.forEach(f => f());
  const root = h('div', { class: 'page' });
  document.getElementById('view').replaceChildren(root);
  current = { root, cleanup: [] };
  const view = current;
  for (const [pattern, page, nav] of ROUTES) {
    const m = location.pathname.match(pattern);
    if (!m) continue;
    document.querySelectorAll('header nav a').forEach(a => a.classList.toggle('active', a.dataset.nav === nav));
    document.title = 'Tower · ' + nav;
    Promise.resolve(page(view, ...m.slice(1).map(decodeURIComponent))).catch(e => showError(view, e));
    return;
  }
  append(root, h('h1', {}, 'Not found'), h('p', {}, `Tower has no page at ${location.pathname}. `, link('/', 'Overview')));
}

document.addEventListener('click', e => {
  const a = e.target.closest('a');
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || a.target) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || !ROUTES.some(([p]) => p.test(url.pathname))) return;
  e.preventDefault();
  history.pushState(null, '', url.pathname + url.search);
  route();
});

window.addEventListener('popstate', route);
live.start();
live.checkLeader();
route();
