/**
 * Child processes of the benchmark (the service, the floors, the slow FHIR server), their memory
 * as the kernel sees it, and the one-off build of the service.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import path from 'node:path';

/** A TCP port that was free a moment ago on 127.0.0.1 (the service must know it before it starts: PUBLIC_BASE_URL). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  server.close();
  await once(server, 'close');
  return port;
}

export interface MemoryStatus {
  /** Resident set now (VmRSS), MiB. */
  rssMiB: number;
  /** Peak resident set (VmHWM) since start or the last `resetPeak`, MiB. */
  peakMiB: number;
}

const kib = (status: string, field: string): number => {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return m ? Number(m[1]) : NaN;
};

export function memoryOf(pid: number): MemoryStatus {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const round = (k: number): number => Math.round((k / 1024) * 10) / 10;
  return { rssMiB: round(kib(status, 'VmRSS')), peakMiB: round(kib(status, 'VmHWM')) };
}

/** Resets VmHWM to the current RSS (Linux: `echo 5 > /proc/pid/clear_refs`); false when not allowed. */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** Waits for the first IPC message of a type. */
export function nextMessage<T extends { type: string }>(child: ChildProcess, type: string, timeoutMs = 30_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no "${type}" message from child ${child.pid} within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (message: T): void => {
      if (message?.type !== type) return;
      cleanup();
      resolve(message);
    };
    const onExit = (code: number | null): void => {
      cleanup();
      reject(new Error(`child ${child.pid} exited (code ${code}) before sending "${type}"`));
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

/** `node --import tsx <script>` with an IPC channel; stderr passes through. */
export function spawnTsxChild(root: string, script: string, env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', path.join(root, script)], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

/** `node <file>` (already JavaScript) with an IPC channel; stderr passes through. */
export function spawnNodeChild(root: string, file: string, env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, [file], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

export async function stopChild(child: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000): Promise<number | null> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
  const exited = once(child, 'exit') as Promise<[number | null]>;
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code] = await exited;
  clearTimeout(timer);
  return code;
}

/**
 * Compiles src/ and hooks/ (tsconfig.build.json) into a fresh directory under bench/ (so that
 * node_modules resolves), as `npm run build` would, without touching dist/. Type errors are
 * reported but do not stop the bench (tsc still emits), since src/ may be mid-edit.
 */
export async function buildService(root: string): Promise<{ dir: string; seconds: number; typeErrors: boolean }> {
  const dir = await mkdtemp(path.join(root, 'bench', '.build-'));
  const started = performance.now();
  const tsc = spawn(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', dir, '--sourceMap', 'false'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  tsc.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const [code] = (await once(tsc, 'exit')) as [number | null];
  if (code !== 0) {
    console.warn(`tsc reported problems (exit ${code}); benchmarking what it emitted:\n${output.split('\n').slice(0, 20).join('\n')}`);
  }
  try {
    readFileSync(path.join(dir, 'src/main.js'));
  } catch {
    throw new Error(`the build produced no ${path.join(dir, 'src/main.js')}:\n${output}`);
  }
  return { dir, seconds: (performance.now() - started) / 1000, typeErrors: code !== 0 };
}

/**
 * Compiles the floors (bench/tsconfig.floors.json) into `<dir>/bench/`, beside the service's build,
 * so that they run as plain node like the service: a loader (tsx, or Node's type stripping) in the
 * process would add about 15 MiB to the RSS they are compared by.
 */
export async function buildFloors(root: string, dir: string): Promise<void> {
  const tsc = spawn(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'bench/tsconfig.floors.json', '--outDir', path.join(dir, 'bench')], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  tsc.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const [code] = (await once(tsc, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`tsc could not compile the floors (exit ${code}):\n${output}`);
}

/**
 * The node flags of package.json's `start` script ("node --flag=1 … dist/src/main.js" → ["--flag=1",
 * …]): the benchmark starts the service with them, and a deploy test holds the Dockerfile to them.
 */
export function startScriptNodeFlags(pkg: { scripts?: Record<string, string> }): string[] {
  const words = (pkg.scripts?.start ?? '').trim().split(/\s+/);
  if (words[0] !== 'node') throw new Error(`package.json start script does not run node: "${pkg.scripts?.start}"`);
  return words.slice(1).filter((w) => w.startsWith('--'));
}

/** CPU time a process has used, ms: all its threads, and its main (JavaScript) thread alone. */
export interface CpuTime {
  totalMs: number;
  mainMs: number;
}

/** The kernel counts CPU time in clock ticks of 10 ms (USER_HZ = 100 on Linux). */
const MS_PER_TICK = 10;

/** utime + stime of a /proc stat line (fields 14 and 15; the command name in field 2 may hold spaces). */
const ticksOf = (stat: string): number => {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
};

/**
 * CPU time of a process so far (Linux /proc): the whole process, counting the threads V8 and
 * libuv run beside the JavaScript one (GC helpers, the pool that verifies signatures, the SQLite
 * writer), and the main thread alone. NaN where /proc cannot be read.
 */
export function cpuTimeOf(pid: number): CpuTime {
  try {
    return {
      totalMs: ticksOf(readFileSync(`/proc/${pid}/stat`, 'utf8')) * MS_PER_TICK,
      mainMs: ticksOf(readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8')) * MS_PER_TICK,
    };
  } catch {
    return { totalMs: NaN, mainMs: NaN };
  }
}
