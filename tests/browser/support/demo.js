// Shared set-up of the page tests: `labbridge serve --demo` on a free port with a fresh data
// directory, and Debian's Chromium launched headless through playwright-core.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const binary = process.env.LABBRIDGE_BIN ?? join(here, '../../../target/debug/labbridge');
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Where screenshots go. */
export const results = join(here, '../test-results');

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

async function waitHealthy(url, limitMs) {
  const start = Date.now();
  while (Date.now() - start < limitMs) {
    try {
      const response = await fetch(`${url}/healthz`);
      if (response.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('labbridge did not become healthy');
}

/** Starts the demo county and a browser; returns { base, browser, stop, run }. */
export async function startDemo() {
  mkdirSync(results, { recursive: true });
  const dataDir = mkdtempSync(join(tmpdir(), 'labbridge-browser-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('LABBRIDGE_')));
  const server = spawn(binary, ['--data-dir', dataDir, 'serve', '--demo', '--addr', `127.0.0.1:${port}`], {
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitHealthy(base, 60_000);
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
    ],
  });
  const stop = async () => {
    await browser.close();
    server.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  };
  // Runs a command of the same binary on the same data directory (e.g. `match`).
  const run = (...args) => execFileSync(binary, ['--data-dir', dataDir, ...args], { env, encoding: 'utf8' });
  return { base, browser, stop, run };
}
