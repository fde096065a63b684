// What the browser benchmarks (longtasks.mjs, renderer_memory.mjs) share: their command-line
// arguments, and what they read of Chromium's processes from /proc (Linux): the renderer
// processes under a given process, and a process's private memory as the benchmark counts it.
import { readdirSync, readFileSync } from 'fs';

/** The value after `--name` on the command line, or `fallback`. */
export function arg(name, fallback) {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : fallback;
}

/** Pids of the Chromium renderer processes descending from process `root`. */
export function rendererPids(root) {
  const parent = new Map();
  const renderers = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parent.set(
        Number(entry),
        Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      );
      if (
        readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(
          '--type=renderer'
        )
      ) {
        renderers.push(Number(entry));
      }
    } catch {
      // gone meanwhile
    }
  }
  const under = pid => {
    for (let p = pid; p > 1; p = parent.get(p) ?? 0) {
      if (p === root) {
        return true;
      }
    }
    return false;
  };
  return renderers.filter(under);
}

/** A process's RssAnon and RssShmem in MB (private = both, as the benchmark counts it), or null. */
export function memoryOf(pid) {
  try {
    const kb = {};
    for (const line of readFileSync(`/proc/${pid}/status`, 'utf8').split(
      '\n'
    )) {
      const m = /^(RssAnon|RssShmem):\s+(\d+)/.exec(line);
      if (m) {
        kb[m[1]] = Number(m[2]);
      }
    }
    const anon = (kb.RssAnon ?? 0) / 1024;
    const shmem = (kb.RssShmem ?? 0) / 1024;
    return { private: anon + shmem, shmem };
  } catch {
    return null;
  }
}
