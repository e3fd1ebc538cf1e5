// Starts the real Artigraph server for the end-to-end tests: builds the Go
// binary (with the committed web/dist embedded), runs it on a free loopback
// port with a fresh data directory, and waits for /readyz.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, openSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));

function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

/** Builds the server binary once into dir and returns its path. */
export function buildServer(dir) {
  const bin = join(dir, 'artigraph');
  execFileSync('go', ['build', '-o', bin, '.'], { cwd: repoRoot, stdio: 'inherit' });
  return bin;
}

/**
 * Starts the server and resolves when it is ready:
 * { url, dataDir, logFile, stop() }. The binary is ARTIGRAPH_BIN when set,
 * else built here. `args` are more flags: the default is `--auth none`
 * (what a loopback address gets anyway), `['--auth', 'token', '--admin-token',
 * secret]` for access control.
 */
export async function startServer({ args = ['--auth', 'none'] } = {}) {
  const work = mkdtempSync(join(tmpdir(), 'artigraph-e2e-'));
  const bin = process.env.ARTIGRAPH_BIN || buildServer(work);
  const dataDir = join(work, 'data');
  const port = await freePort();
  const addr = `127.0.0.1:${port}`;
  const logFile = join(work, 'server.log');
  const log = openSync(logFile, 'a');
  // Access control comes from `args` alone, not from the caller's environment.
  const env = { ...process.env, ARTIGRAPH_CORS_ORIGINS: '' };
  delete env.ARTIGRAPH_AUTH;
  delete env.ARTIGRAPH_ADMIN_TOKEN;
  // The embedded store, whatever the caller's NEO4J_URI (CI's Neo4j belongs to the Go tests).
  delete env.NEO4J_URI;
  const child = spawn(bin, ['--addr', addr, '--data-dir', dataDir, ...args], {
    stdio: ['ignore', log, log],
    env,
  });
  let exited = null;
  child.on('exit', (code, signal) => (exited = { code, signal }));
  const url = `http://${addr}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) throw new Error(`server exited early (${JSON.stringify(exited)}); see ${logFile}`);
    try {
      const res = await fetch(`${url}/readyz`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server not ready after 30s; see ${logFile}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    dataDir,
    logFile,
    async stop() {
      if (!exited) {
        const done = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await done;
        clearTimeout(timer);
      }
      rmSync(work, { recursive: true, force: true });
    },
  };
}
