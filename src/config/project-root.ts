import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The checkout's root: the nearest folder above this file whose package.json is mainspring's. */
export function projectRoot(start = __dirname): string {
  let dir = start;
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'mainspring') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`mainspring's package.json not found above ${start}`);
    dir = parent;
  }
}
