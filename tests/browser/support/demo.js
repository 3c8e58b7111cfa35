// Shared set-up of the page tests: `labbridge serve --demo` on a free port with a fresh data
// directory, and Debian's Chromium launched headless through playwright-core.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const binary = process.env.LABBRIDGE_BIN ?? join(here, '../../../target/debug/labbridge');
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Where screenshots go: every page's, under target/screenshots. */
export const results = join(here, '../../../target/screenshots');

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

/** Starts the demo county and a browser; returns { base, browser, stop, run }. `extraEnv`
 * gives more settings for the server and the commands, from the server's address. */
export async function startDemo(extraEnv = () => ({})) {
  mkdirSync(results, { recursive: true });
  const dataDir = mkdtempSync(join(tmpdir(), 'labbridge-browser-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = {
    ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('LABBRIDGE_'))),
    ...extraEnv(base),
  };
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

/** Starts tests/smtp_sink.py (aiosmtpd) writing each message as JSON; returns { url, dir, messages, stop }. */
export async function startSmtpSink() {
  const dir = mkdtempSync(join(tmpdir(), 'labbridge-mail-'));
  const sink = spawn('python3', [join(here, '../../smtp_sink.py'), '--dir', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve, reject) => {
    let seen = '';
    sink.stdout.on('data', (chunk) => {
      seen += chunk;
      const match = seen.match(/ready (\d+)/);
      if (match) resolve(Number(match[1]));
    });
    sink.once('exit', (code) => reject(new Error(`smtp sink exited with ${code}`)));
  });
  const messages = () => readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => JSON.parse(readFileSync(join(dir, name), 'utf8')));
  const waitFor = async (predicate, limitMs = 30_000) => {
    const start = Date.now();
    while (Date.now() - start < limitMs) {
      const found = messages().filter(predicate);
      if (found.length > 0) return found;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error('the expected mail did not arrive');
  };
  const stop = () => {
    sink.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
  return { url: `smtp://127.0.0.1:${port}`, dir, messages, waitFor, stop };
}

/** The demo county with a real SMTP sink: the server mails through it, as the bureau's does.
 * Returns { demo, sink }; stop both when done. */
export async function startDemoWithMail() {
  const sink = await startSmtpSink();
  const demo = await startDemo((address) => ({
    LABBRIDGE_SMTP_URL: sink.url,
    LABBRIDGE_BASE_URL: address,
    LABBRIDGE_MAIL_FROM: '临朐县科技局 <kjj@linqu.example.cn>',
  }));
  return { demo, sink };
}
