// Keeps the web UI open in headless Chromium (Debian's, through playwright-core) for a while, as
// a user watching a test would: the page polls the master once a second. Prints how many polls
// the page made and how many bytes the master sent it.
//   node bench/hold_page.mjs URL SECONDS
import { chromium } from 'playwright-core';

const [url, seconds] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
});
const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
let polls = 0;
let bytes = 0;
page.on('response', async (r) => {
  if (!r.url().includes('/api/')) return;
  if (r.url().includes('/api/stats')) polls++;
  bytes += (await r.body().catch(() => Buffer.alloc(0))).length;
});
await page.goto(url);
await page.click('nav button[data-tab=charts]');  // the charts redraw too
await page.waitForTimeout(Number(seconds) * 1000);
console.log(JSON.stringify({ polls, api_bytes: bytes, rows: await page.evaluate(() => document.querySelectorAll('#stats-table tbody tr').length) }));
await browser.close();
