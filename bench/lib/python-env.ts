// The bench's Python environment: a venv under .mainspring/bench-venv with the pinned packages of
// bench/python/requirements.txt. Installed once (a stamp holds the requirements it was built from); a failed install
// makes the Python comparisons "unavailable: <reason>" and the rest of the bench still runs.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface PythonEnv {
  python: string;
  script: string;
  versions: Record<string, string>;
}

export type PythonEnvResult = { ok: true; env: PythonEnv } | { ok: false; reason: string };

export function pythonPaths(root: string): { venv: string; python: string; requirements: string; script: string } {
  const tools = process.env.MAINSPRING_TOOLS ?? join(root, '.mainspring');
  const venv = join(tools, 'bench-venv');
  return { venv, python: join(venv, 'bin', 'python'), requirements: join(root, 'bench', 'python', 'requirements.txt'), script: join(root, 'bench', 'python', 'compare.py') };
}

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command, streaming its output lines to `onLine`; rejects only if it cannot be spawned. */
export function run(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; onLine?: (line: string) => void; signal?: AbortSignal; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let partial = '';
    const onData = (chunk: Buffer, sink: 'out' | 'err') => {
      const text = chunk.toString('utf8');
      if (sink === 'out') stdout += text;
      else stderr += text;
      if (!options.onLine) return;
      partial += text;
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (line.trim() !== '') options.onLine(line);
    };
    child.stdout.on('data', (c: Buffer) => onData(c, 'out'));
    child.stderr.on('data', (c: Buffer) => onData(c, 'err'));
    const kill = () => child.kill('SIGTERM');
    options.signal?.addEventListener('abort', kill, { once: true });
    const timer = options.timeoutMs ? setTimeout(kill, options.timeoutMs) : undefined;
    child.once('error', reject);
    child.once('close', (code) => {
      if (timer) clearTimeout(timer);
      options.signal?.removeEventListener('abort', kill);
      resolve({ code, stdout, stderr });
    });
  });
}

function lastLines(text: string, n = 3): string {
  return text.trim().split('\n').slice(-n).join(' / ');
}

/** Creates/updates the venv when its stamp differs from the requirements; reports pip's progress line by line. */
export async function ensurePythonEnv(root: string, progress: (line: string) => void, signal?: AbortSignal): Promise<PythonEnvResult> {
  const p = pythonPaths(root);
  const wanted = readFileSync(p.requirements, 'utf8');
  const stamp = join(p.venv, '.installed');
  const env = { ...process.env, DO_NOT_TRACK: '1', PIP_DISABLE_PIP_VERSION_CHECK: '1' };
  try {
    if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== wanted || !existsSync(p.python)) {
      if (!existsSync(p.python)) {
        progress(`python: creating ${p.venv}`);
        const made = await run('python3', ['-m', 'venv', p.venv], { signal });
        if (made.code !== 0) return { ok: false, reason: `python3 -m venv failed: ${lastLines(made.stderr)} (install python3-venv)` };
      }
      progress('python: installing scikit-learn, onnxruntime, evidently, pandas, numpy (pinned; the first run takes a few minutes)');
      let collected = 0;
      const started = Date.now();
      const pip = await run(p.python, ['-m', 'pip', 'install', '--progress-bar', 'off', '-r', p.requirements], {
        env,
        signal,
        timeoutMs: 20 * 60_000,
        onLine: (line) => {
          if (line.startsWith('Collecting ')) {
            collected++;
            if (collected % 10 === 1) progress(`python: pip ${line.trim()} (${collected} packages so far, ${Math.round((Date.now() - started) / 1000)} s)`);
          } else if (line.startsWith('Installing collected packages')) progress(`python: pip installing ${collected} packages…`);
          else if (line.startsWith('Successfully installed')) progress('python: pip done');
        },
      });
      if (pip.code !== 0) return { ok: false, reason: `pip install failed (exit ${pip.code}): ${lastLines(pip.stderr || pip.stdout)}` };
      writeFileSync(stamp, wanted);
    }
    const versions = await runPythonJson<Record<string, string>>({ python: p.python, script: p.script, versions: {} }, ['versions'], signal);
    const broken = Object.entries(versions).filter(([, v]) => v.startsWith('unavailable'));
    if (broken.length > 0) return { ok: false, reason: broken.map(([k, v]) => `${k} ${v}`).join('; ') };
    return { ok: true, env: { python: p.python, script: p.script, versions } };
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
}

/** Runs `compare.py <args>` and parses the JSON it prints; the error names the command and Python's last words. */
export async function runPythonJson<T>(env: PythonEnv, args: string[], signal?: AbortSignal, timeoutMs = 5 * 60_000): Promise<T> {
  const r = await run(env.python, [env.script, ...args], { env: { ...process.env, DO_NOT_TRACK: '1' }, signal, timeoutMs });
  if (r.code !== 0) throw new Error(`python compare.py ${args[0]} failed (exit ${r.code}): ${lastLines(r.stderr)}`);
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as T;
  } catch {
    throw new Error(`python compare.py ${args[0]} printed no JSON: ${lastLines(r.stdout + r.stderr)}`);
  }
}
