/**
 * Headless Chromium for browser checks, driven by playwright-core (which downloads
 * no browser of its own). The system's Chromium when there is one (CHROMIUM_PATH,
 * else Debian's /usr/bin/chromium); otherwise the build that @sparticuz/chromium
 * ships inside its npm tarball, so that `npm ci && npm test` needs nothing else.
 */
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress } from 'node:zlib';
import { chromium, type Browser } from 'playwright-core';

const SYSTEM_CHROMIUM = '/usr/bin/chromium';

/** Without the networking flags Chromium keeps dialling Google's hosts, which this machine refuses. */
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

/**
 * The packaged binary, decompressed once per version into the temp directory.
 * We inflate it ourselves rather than through the package's executablePath():
 * that one writes /tmp/chromium in place and trusts any file it finds there, so a
 * run killed mid-way (or two runs at once) leaves a truncated browser behind.
 * Here the file appears under its final name only when complete.
 */
async function packagedChromium(): Promise<string> {
  const root = join(dirname(createRequire(import.meta.url).resolve('@sparticuz/chromium')), '..', '..');
  const { version } = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { version: string };
  const executable = join(tmpdir(), `tokensync-chromium-${version}`, 'chromium');
  if (existsSync(executable)) return executable;
  await mkdir(dirname(executable), { recursive: true });
  const partial = `${executable}.${process.pid}.part`;
  try {
    await pipeline(createReadStream(join(root, 'bin', 'chromium.br')), createBrotliDecompress(), createWriteStream(partial, { mode: 0o755 }));
    await rename(partial, executable);
  } finally {
    await rm(partial, { force: true });
  }
  return executable;
}

export async function chromiumPath(): Promise<string> {
  const configured = process.env.CHROMIUM_PATH;
  if (configured) {
    if (!existsSync(configured)) throw new Error(`CHROMIUM_PATH is ${configured}, and there is no file there; unset it to use the Chromium that npm installed`);
    return configured;
  }
  return existsSync(SYSTEM_CHROMIUM) ? SYSTEM_CHROMIUM : packagedChromium();
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: await chromiumPath(), headless: true, args: ARGS });
}
