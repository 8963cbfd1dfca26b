// swarmlet's web UI: polls the master's JSON API once a second and draws what it answers.
// Plain browser JavaScript; uPlot (from the npm registry, embedded by the build) draws the charts.
'use strict';

const $ = (id) => document.getElementById(id);
const fmt = (x, digits = 0) => (Number.isFinite(x) ? x.toLocaleString('en-US', { maximumFractionDigits: digits }) : '');
// Milliseconds: sub-millisecond times (a fast target) keep their decimals.
const fmtMs = (x) => fmt(x, x < 10 ? 2 : x < 100 ? 1 : 0);

const view = {
  runId: null,       // the test the charts show; a new one clears them
  historyFrom: 0,    // the next interval to ask /api/history for (its rows are thinned in long tests)
  series: { time: [], rps: [], fails: [], p50: [], p95: [], p99: [], users: [] },
  charts: null,
  state: 'ready',
  loaded: {},        // the start form's values as /api/scenario gave them
};

async function api(method, path, body) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(data.error || `${method} ${path}: HTTP ${res.status}`);
  return data;
}

function cell(row, text) {
  const td = document.createElement('td');
  td.textContent = text;
  row.appendChild(td);
  return td;
}

function fillRows(tbody, rows, columns) {
  const fragment = document.createDocumentFragment();
  for (const r of rows) {
    const tr = document.createElement('tr');
    for (const c of columns(r)) cell(tr, c);
    fragment.appendChild(tr);
  }
  tbody.replaceChildren(fragment);
}

function statsColumns(s, method, name) {
  const p = s.percentiles_ms;
  const some = s.requests > 0;
  return [method, name, fmt(s.requests), fmt(s.failures), some ? fmtMs(p['50']) : '', some ? fmtMs(p['95']) : '',
    some ? fmtMs(p['99']) : '', fmtMs(s.avg_ms), fmtMs(s.min_ms), fmtMs(s.max_ms), fmt(s.avg_content_bytes),
    fmt(s.current_rps, 1), fmt(s.current_fail_per_s, 1)];
}

function showStats(data) {
  view.state = data.state;
  $('state').textContent = data.state;
  $('target').textContent = data.target;
  $('users').textContent = fmt(data.users);
  $('rps').textContent = fmt(data.total.current_rps, 1);
  const ratio = data.total.requests ? (100 * data.total.failures) / data.total.requests : 0;
  $('fail-ratio').textContent = `${fmt(ratio, 1)}%`;
  // The open model's own figures: iterations no user could take, and the generator's lag.
  for (const e of document.querySelectorAll('.open-model')) e.hidden = !data.open_model;
  if (data.open_model) {
    $('dropped').textContent = fmt(data.total.dropped_iterations);
    $('lag-p99').textContent = `${fmtMs(data.generator_lag_ms.p99)} ms`;
  }
  $('warnings').textContent = (data.warnings || []).join(' ');
  $('stop-button').disabled = data.state !== 'running';
  $('reset-button').disabled = data.state !== 'running' && data.state !== 'stopping';
  $('edit-button').textContent = data.state === 'running' ? 'Edit' : 'New test';
  // A script's errors (type LUA) are not requests: below the Aggregated row, which leaves them
  // out, as in the console and the HTML report.
  const scriptError = (s) => s.method === 'LUA';
  fillRows($('stats-table').tBodies[0], data.stats.filter((s) => !scriptError(s)),
    (s) => statsColumns(s, s.method, s.name));
  fillRows($('stats-table').tFoot, [null, ...data.stats.filter(scriptError)],
    (s) => (s === null ? statsColumns(data.total, '', 'Aggregated') : statsColumns(s, s.method, s.name)));
  if (data.run_id !== view.runId) {  // a new test: its charts start empty
    view.runId = data.run_id;
    view.historyFrom = 0;
    for (const k of Object.keys(view.series)) view.series[k] = [];
    if (view.charts) drawCharts();
  }
}

function makeChart(element, title, labels, colors) {
  const opts = {
    title,
    width: Math.max(320, element.clientWidth || 900),
    height: 220,
    scales: { x: { time: true } },
    series: [{}, ...labels.map((label, i) => ({ label, stroke: colors[i], width: 2 }))],
    axes: [{}, { size: 60 }],
  };
  return new uPlot(opts, [[], ...labels.map(() => [])], element);
}

function drawCharts() {
  const s = view.series;
  if (!view.charts) {
    view.charts = {
      rps: makeChart($('chart-rps'), 'Requests per second', ['RPS', 'Failures/s'], ['#1565c0', '#c62828']),
      latency: makeChart($('chart-latency'), 'Response times (ms)', ['p50', 'p95', 'p99'], ['#2e7d32', '#ef6c00', '#6a1b9a']),
      users: makeChart($('chart-users'), 'Users', ['Users'], ['#37474f']),
    };
  }
  view.charts.rps.setData([s.time, s.rps, s.fails]);
  view.charts.latency.setData([s.time, s.p50, s.p95, s.p99]);
  view.charts.users.setData([s.time, s.users]);
  // How many points each chart holds, for whoever watches the page (the browser test).
  for (const id of ['chart-rps', 'chart-latency', 'chart-users']) $(id).dataset.points = s.time.length;
}

function addHistory(rows) {
  const s = view.series;
  for (const r of rows) {
    s.time.push(r.time);
    s.rps.push(r.rps);
    s.fails.push(r.fail_per_s);
    s.p50.push(r.p50_ms);
    s.p95.push(r.p95_ms);
    s.p99.push(r.p99_ms);
    s.users.push(r.users);
  }
  if (rows.length > 0) view.historyFrom = rows[rows.length - 1].interval + 1;
  if (rows.length > 0 || !view.charts) drawCharts();
}

function showFailures(rows) {
  $('failure-count').textContent = rows.length ? `(${rows.length})` : '';
  fillRows($('failures-table').tBodies[0], rows, (f) => [fmt(f.occurrences), f.method, f.name, f.error]);
}

// Locust's Exceptions tab: the traceback keeps its lines (a <pre> cell).
function showExceptions(rows) {
  const total = rows.reduce((n, e) => n + e.count, 0);
  $('exception-count').textContent = rows.length ? `(${fmt(total)})` : '';
  fillRows($('exceptions-table').tBodies[0], rows, (e) => [fmt(e.count), e.message, e.traceback, e.workers.join(', ')]);
  for (const tr of $('exceptions-table').tBodies[0].rows) {
    const pre = document.createElement('pre');
    pre.textContent = tr.cells[2].textContent;
    tr.cells[2].replaceChildren(pre);
  }
}

function showWorkers(rows) {
  $('workers-count').textContent = fmt(rows.length);
  fillRows($('workers-table').tBodies[0], rows,
    (w) => [w.id, w.host, w.state, fmt(w.threads), fmt(w.users), fmt(w.cpu_percent, 1), w.last_heard_ms_ago === undefined ? '' : fmt(w.last_heard_ms_ago)]);
}

async function poll() {
  try {
    showStats(await api('GET', '/api/stats'));
    addHistory(await api('GET', `/api/history?from=${view.historyFrom}`));
    showFailures(await api('GET', '/api/failures'));
    showExceptions(await api('GET', '/api/exceptions'));
    showWorkers(await api('GET', '/api/workers'));
    $('connection').textContent = '';
  } catch (e) {
    $('connection').textContent = `No answer from the master: ${e.message}`;
  }
}

async function openStartDialog() {
  const dialog = $('start-dialog');
  const editing = view.state === 'running';
  dialog.classList.toggle('editing', editing);
  $('start-title').textContent = editing ? 'Change the number of users' : 'Start a new test';
  $('start-button').textContent = editing ? 'Update' : 'Start';
  $('start-error').textContent = '';
  try {
    if (editing) {
      // Locust's edit form: the running test's users and spawn rate, as last asked for (the users
      // reached may still be ramping towards them). A field left as it is is not sent: the
      // master keeps its current value (an empty field was sent as 0: 0 users, QA).
      // (The open model's test takes no user count: /api/swarm says so.)
      const s = await api('GET', '/api/stats');
      dialog.classList.remove('open');
      $('users-input').value = s.target_users ?? '';
      $('spawn-rate-input').value = s.spawn_rate ?? '';
    } else {
      const s = await api('GET', '/api/scenario');
      dialog.classList.toggle('open', s.open_model);
      // The open model has no user count nor spawn rate (its inputs are hidden); a scenario of
      // stages has its peak users and no one spawn rate.
      $('users-input').value = s.users ?? '';
      $('spawn-rate-input').value = s.spawn_rate ?? '';
      $('run-time-input').value = s.run_time;
      $('host-input').value = s.target;
      $('scenario-input').value = s.yaml;
    }
  } catch (e) {
    $('start-error').textContent = e.message;
  }
  // Only what the user changes is sent: a user count would replace the scenario's stages.
  view.loaded = { users: $('users-input').value, spawn_rate: $('spawn-rate-input').value, run_time: $('run-time-input').value,
    host: $('host-input').value, yaml: $('scenario-input').value };
  dialog.showModal();
}

// The users and spawn rate the user changed: a field left as it was, or emptied, is not sent.
function changedLoad() {
  const body = {};
  const users = $('users-input').value.trim();
  const spawnRate = $('spawn-rate-input').value.trim();
  if (users !== '' && users !== view.loaded.users) body.users = Number(users);
  if (spawnRate !== '' && spawnRate !== view.loaded.spawn_rate) body.spawn_rate = Number(spawnRate);
  return body;
}

async function submitStart(event) {
  event.preventDefault();
  const dialog = $('start-dialog');
  const editing = dialog.classList.contains('editing');
  try {
    if (editing) {
      const body = changedLoad();
      if (Object.keys(body).length === 0) {
        if ($('users-input').value.trim() === '' && $('spawn-rate-input').value.trim() === '') {
          $('start-error').textContent = 'Enter a number of users or a spawn rate.';
          return;
        }
      } else {
        await api('POST', '/api/swarm', body);
      }
    } else {
      const body = dialog.classList.contains('open') ? {} : changedLoad();
      const changed = (field, value) => { if (value !== view.loaded[field].trim()) body[field] = value; };
      changed('run_time', $('run-time-input').value.trim());
      changed('host', $('host-input').value.trim());
      if ($('scenario-input').value !== view.loaded.yaml) body.scenario = $('scenario-input').value;
      await api('POST', '/api/start', body);
    }
    dialog.close();
    poll();
  } catch (e) {
    $('start-error').textContent = e.message;
  }
}

function selectTab(name) {
  for (const b of document.querySelectorAll('nav button')) b.classList.toggle('active', b.dataset.tab === name);
  for (const t of document.querySelectorAll('.tab')) t.classList.toggle('active', t.id === `tab-${name}`);
  if (name === 'charts' && view.charts) {
    for (const c of Object.values(view.charts)) c.setSize({ width: Math.max(320, $('chart-rps').clientWidth), height: 220 });
  }
}

async function init() {
  for (const b of document.querySelectorAll('nav button')) b.addEventListener('click', () => selectTab(b.dataset.tab));
  $('edit-button').addEventListener('click', openStartDialog);
  $('cancel-button').addEventListener('click', () => $('start-dialog').close());
  $('start-form').addEventListener('submit', submitStart);
  $('stop-button').addEventListener('click', () => api('POST', '/api/stop').then(poll, (e) => { $('connection').textContent = e.message; }));
  $('reset-button').addEventListener('click', () => api('POST', '/api/reset').then(poll, (e) => { $('connection').textContent = e.message; }));
  await poll();
  setInterval(poll, 1000);
}

init();
