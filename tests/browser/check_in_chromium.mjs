// Drives Debian's Chromium (headless, through playwright-core from package-lock.json) for the
// browser tests in browser_test.cpp, which start the processes and judge what this prints.
//   node check_in_chromium.mjs ui URL WORKERS USERS SCREENSHOT_PREFIX
//     loads the web UI, starts a test from its form, waits for the table and the charts, takes
//     screenshots, stops the test, downloads the HTML report and checks it as `report` does.
//   node check_in_chromium.mjs report FILE SCREENSHOT
//     opens a saved HTML report offline and counts its tables' rows and its charts.
//   node check_in_chromium.mjs exceptions URL SCREENSHOT
//     loads the web UI of a running test, opens its Exceptions tab and reads the table's rows.
//   node check_in_chromium.mjs edit URL SCREENSHOT
//     loads the web UI of a running test, reads what its Edit dialog is filled with, changes the
//     spawn rate alone (the users field emptied), then asks for too many users and for nothing.
// Prints one JSON object on stdout; exits 1 (with {"error": ...}) when a step fails.
import { chromium } from 'playwright-core';

const chromiumArgs = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];
const stepTimeout = 60_000;  // generous: a loaded 2-core CI machine

async function inspectReport(page, file, screenshot) {
  await page.goto(`file://${file}`);
  const found = await page.evaluate(() => {
    const rows = (id) => document.querySelectorAll(`#${id} tbody tr`).length;
    return {
      title: document.title,
      requests_rows: rows('requests'),
      settings_rows: document.querySelectorAll('#settings tr').length,
      workers_rows: rows('workers'),
      failures_rows: rows('failures'),
      charts: document.querySelectorAll('svg').length,
      chart_lines: document.querySelectorAll('svg polyline').length,
      names: [...document.querySelectorAll('#requests tbody tr')].map((tr) => tr.cells[1]?.textContent),
    };
  });
  await page.screenshot({ path: screenshot, fullPage: true });
  return found;
}

/// Pixels of a chart's series (its stroke colour): a line of several points draws hundreds.
function seriesPixels([canvasSelector, rgb]) {
  const canvas = document.querySelector(canvasSelector);
  if (!canvas || canvas.width === 0) return 0;
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let n = 0;
  for (let i = 0; i < data.length; i += 4)
    if (Math.abs(data[i] - rgb[0]) < 40 && Math.abs(data[i + 1] - rgb[1]) < 40 && Math.abs(data[i + 2] - rgb[2]) < 40 && data[i + 3] > 100) n++;
  return n;
}

async function driveUi(page, url, workers, users, prefix) {
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  const text = (id) => page.evaluate((i) => document.getElementById(i).textContent, id);
  const waitText = (id, value) => page.waitForFunction(([i, v]) => document.getElementById(i).textContent === v, [id, value],
    { timeout: stepTimeout });

  await page.goto(url);
  await waitText('state', 'ready');
  await waitText('workers-count', String(workers));

  await page.click('#edit-button');
  await page.fill('#users-input', String(users));
  await page.fill('#spawn-rate-input', '100');
  await page.fill('#run-time-input', '');
  await page.click('#start-button');
  await waitText('state', 'running');
  await waitText('users', String(users));
  // The table fills: a row per name and a growing total.
  await page.waitForFunction(() => document.querySelectorAll('#stats-table tbody tr').length >= 2 &&
    Number(document.querySelector('#stats-table tfoot td:nth-child(3)').textContent.replace(/,/g, '')) > 0,
  null, { timeout: stepTimeout });
  await page.screenshot({ path: `${prefix}_stats.png`, fullPage: true });

  // Reset stats: the total starts again from (near) zero.
  const totalShown = () => page.evaluate(() => Number(document.querySelector('#stats-table tfoot td:nth-child(3)').textContent.replace(/,/g, '')));
  const beforeReset = await totalShown();
  await page.click('#reset-button');
  await page.waitForFunction((before) => Number(document.querySelector('#stats-table tfoot td:nth-child(3)').textContent.replace(/,/g, '')) < before,
    beforeReset, { timeout: stepTimeout });
  const afterReset = await totalShown();

  await page.click('nav button[data-tab=charts]');
  const rpsLine = ['#chart-rps canvas', [21, 101, 192]];  // the RPS series' stroke, #1565c0
  await page.waitForFunction(() => Number(document.getElementById('chart-rps').dataset.points) >= 4, null,
    { timeout: stepTimeout });
  await page.waitForTimeout(300);  // uPlot draws on the next animation frame
  const rpsPixels = await page.evaluate(seriesPixels, rpsLine);
  await page.screenshot({ path: `${prefix}_charts.png`, fullPage: true });

  await page.click('nav button[data-tab=workers]');
  const workerRows = await page.evaluate(() => document.querySelectorAll('#workers-table tbody tr').length);
  await page.click('nav button[data-tab=failures]');
  await page.waitForFunction(() => document.querySelectorAll('#failures-table tbody tr').length > 0, null, { timeout: stepTimeout });
  const failures = await page.evaluate(() => [...document.querySelectorAll('#failures-table tbody tr')].map((tr) => tr.cells[3].textContent));

  await page.click('#stop-button');
  await waitText('state', 'stopped');
  await page.waitForTimeout(1500);  // one more poll after the final reports
  await page.click('nav button[data-tab=stats]');
  const table = await page.evaluate(() => ({
    names: [...document.querySelectorAll('#stats-table tbody tr')].map((tr) => tr.cells[1].textContent),
    total_requests: Number(document.querySelector('#stats-table tfoot td:nth-child(3)').textContent.replace(/,/g, '')),
  }));

  await page.click('nav button[data-tab=reports]');
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: stepTimeout }),
    page.click('a[href="/api/report.html"]')]);
  const reportFile = `${prefix}_report.html`;
  await download.saveAs(reportFile);
  const report = await inspectReport(await page.context().newPage(), reportFile, `${prefix}_report.png`);
  return {
    state: await text('state'), before_reset: beforeReset, after_reset: afterReset, rps_chart_pixels: rpsPixels,
    worker_rows: workerRows, failures, ...table, report, errors,
  };
}

async function readExceptions(page, url, screenshot) {
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  await page.click('nav button[data-tab=exceptions]');
  await page.waitForFunction(() => document.querySelectorAll('#exceptions-table tbody tr').length > 0 &&
    document.querySelectorAll('#stats-table tfoot tr').length > 1, null, { timeout: stepTimeout });
  await page.screenshot({ path: screenshot, fullPage: true });
  return page.evaluate((pageErrors) => ({
    // The stats tab's rows (hidden, still in the page): "Type Name" of each.
    stats_rows: [...document.querySelectorAll('#stats-table tbody tr')].map((tr) => `${tr.cells[0].textContent} ${tr.cells[1].textContent}`),
    stats_foot: [...document.querySelectorAll('#stats-table tfoot tr')].map((tr) => `${tr.cells[0].textContent} ${tr.cells[1].textContent}`),
    tab: document.querySelector('nav button[data-tab=exceptions]').textContent,
    visible: document.getElementById('tab-exceptions').offsetParent !== null,
    rows: [...document.querySelectorAll('#exceptions-table tbody tr')].map((tr) => ({
      count: tr.cells[0].textContent,
      message: tr.cells[1].textContent,
      traceback: tr.cells[2].querySelector('pre')?.textContent,
      workers: tr.cells[3].textContent,
    })),
    errors: pageErrors,
  }), errors);
}

async function editRunningTest(page, url, screenshot) {
  const errors = [];
  // (Not the console's errors: Chromium logs the 400 this asks for there.)
  page.on('pageerror', (e) => errors.push(e.message));
  const value = (id) => page.evaluate((i) => document.getElementById(i).value, id);
  const text = (id) => page.evaluate((i) => document.getElementById(i).textContent, id);
  const stats = () => page.evaluate(() => fetch('/api/stats').then((r) => r.json()));
  const openEdit = async () => {
    await page.click('#edit-button');
    await page.waitForFunction(() => document.getElementById('start-dialog').open, null, { timeout: stepTimeout });
    await page.waitForTimeout(300);  // the dialog fills itself from /api/stats
  };
  const submitAndWaitForError = async () => {
    await page.click('#start-button');
    await page.waitForFunction(() => document.getElementById('start-error').textContent !== '', null, { timeout: stepTimeout });
    return text('start-error');
  };

  await page.goto(url);
  await page.waitForFunction(() => document.getElementById('edit-button').textContent === 'Edit', null, { timeout: stepTimeout });
  await openEdit();
  const prefilled = { users: await value('users-input'), spawn_rate: await value('spawn-rate-input'), title: await text('start-title') };
  await page.screenshot({ path: screenshot, fullPage: true });

  // The spawn rate alone, the users field emptied: the users stay (they went to 0, QA).
  await page.fill('#users-input', '');
  await page.fill('#spawn-rate-input', '7');
  await page.click('#start-button');
  await page.waitForFunction(() => !document.getElementById('start-dialog').open, null, { timeout: stepTimeout });
  const afterRate = await stats();

  // Too many users: the master's 400 says why, and the dialog stays open.
  await openEdit();
  const refilled = { users: await value('users-input'), spawn_rate: await value('spawn-rate-input') };
  await page.fill('#users-input', '20000000');
  const tooMany = await submitAndWaitForError();
  const stillOpen = await page.evaluate(() => document.getElementById('start-dialog').open);
  await page.click('#cancel-button');

  // Nothing entered: nothing is sent.
  await openEdit();
  await page.fill('#users-input', '');
  await page.fill('#spawn-rate-input', '');
  const nothing = await submitAndWaitForError();
  await page.click('#cancel-button');
  const afterAll = await stats();
  return {
    prefilled, refilled, still_open: stillOpen, too_many_error: tooMany, nothing_error: nothing,
    after_rate: { target_users: afterRate.target_users, spawn_rate: afterRate.spawn_rate },
    after_all: { target_users: afterAll.target_users, spawn_rate: afterAll.spawn_rate, state: afterAll.state },
    errors,
  };
}

async function main() {
  const [mode, ...args] = process.argv.slice(2);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: chromiumArgs });
  try {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
    const page = await context.newPage();
    page.setDefaultTimeout(stepTimeout);
    if (mode === 'ui') {
      const [url, workers, users, prefix] = args;
      return await driveUi(page, url, Number(workers), Number(users), prefix);
    }
    if (mode === 'report') return await inspectReport(page, args[0], args[1]);
    if (mode === 'exceptions') return await readExceptions(page, args[0], args[1]);
    if (mode === 'edit') return await editRunningTest(page, args[0], args[1]);
    throw new Error(`unknown mode ${mode}`);
  } finally {
    await browser.close();
  }
}

main().then((result) => {
  console.log(JSON.stringify(result));
}, (e) => {
  console.log(JSON.stringify({ error: String(e && e.message ? e.message : e).split('\n')[0] }));
  process.exit(1);
});
