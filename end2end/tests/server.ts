import { spawn, execFileSync, ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';

const ROOT = path.resolve(__dirname, '..', '..');
const BINARY = path.join(ROOT, 'target', 'debug', 'broker-inapp');

/**
 * A server of the test's own (the suite's shared one cannot be restarted):
 * the built binary on `port`, with its data in a folder that outlives
 * restarts, so a restart is the same server coming back.
 */
export class OwnServer {
  readonly base: string;
  readonly data: string;
  private child?: ChildProcess;

  /** `extra`: settings of its own, as `INAPP_*` environment variables. */
  constructor(readonly port: number, private readonly extra: Record<string, string> = {}) {
    this.base = `http://127.0.0.1:${port}`;
    this.data = fs.mkdtempSync(path.join(os.tmpdir(), 'broker-inapp-own-'));
  }

  private env(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      INAPP_LEPTOS__SITE_ADDR: `127.0.0.1:${this.port}`,
      INAPP_SERVER__PUBLIC_URL: this.base,
      INAPP_STORAGE__DATA_DIR: this.data,
      INAPP_STORAGE__DATABASE_URL: `sqlite://${this.data}/app.db`,
      INAPP_SIMULATOR__DATABASE_URL: `sqlite://${this.data}/sim.db`,
      INAPP_PAYMENTS__SANDBOX_DATABASE_URL: `sqlite://${this.data}/psp.db`,
      INAPP_BROKER__THEME_FILE: path.join(ROOT, 'theme.toml'),
      INAPP_ADMIN_PASSWORD: 'e2e staff password',
      RUST_LOG: 'warn',
      ...this.extra,
    };
  }

  async start(): Promise<void> {
    if (!fs.existsSync(path.join(this.data, 'app.db'))) {
      execFileSync(BINARY, ['create-admin', 'e2e-admin@broker.example'], { cwd: ROOT, env: this.env(), stdio: 'ignore' });
    }
    this.child = spawn(BINARY, [], { cwd: ROOT, env: this.env(), stdio: 'ignore' });
    for (let i = 0; i < 200; i++) {
      try {
        const res = await fetch(`${this.base}/healthz`);
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`server on ${this.port} did not start`);
  }

  /** Ends the process at once, as a crash would (no graceful shutdown). */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    await this.kill();
    fs.rmSync(this.data, { recursive: true, force: true });
  }
}

/** Whether nothing listens on 127.0.0.1:`port`. */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/**
 * Starts `server` only if its port is free: a server left behind by an
 * earlier, interrupted run would otherwise answer `/healthz` in its place
 * and the test would talk to the wrong server (other data, other settings).
 */
export async function startAlone(server: OwnServer): Promise<void> {
  if (!(await portIsFree(server.port))) throw new Error(`port ${server.port} is already in use: a server left behind by an earlier run?`);
  await server.start();
}
