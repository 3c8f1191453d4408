/**
 * docs/console.png: the web console's Frontier view over the built-in models, for the README. Starts `tlc serve`
 * (the built CLI) on .cache/models (`npm run models:build` makes them), opens the console in Debian's chromium,
 * runs one playground request so the live figures are not empty, and saves the screenshot.
 *   npm run build && node --import tsx scripts/console-screenshot.ts [--models .cache/models] [--out docs/console.png]
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { startTlcServe, stopChild } from './lib/server-child.js';

const { values: flags } = parseArgs({
  options: {
    models: { type: 'string', default: '.cache/models' },
    out: { type: 'string', default: 'docs/console.png' },
  },
});
const port = 19600 + Math.floor(Math.random() * 300);
const child = await startTlcServe(resolve(flags.models!), port, ['--threads', '2']);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 820 }, deviceScaleFactor: 1 });
  await page.goto(`http://127.0.0.1:${port}/#frontier`);
  await page.waitForSelector('svg .mark');
  await page.screenshot({ path: flags.out!, fullPage: true });
  console.log(`wrote ${flags.out}`);
} finally {
  await browser.close();
  await stopChild(child);
}
