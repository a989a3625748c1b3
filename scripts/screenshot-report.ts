// Renders a demo report (.mainspring/reports/report-*.html) to a PNG with headless chromium — the README's picture.
//   npx tsx scripts/screenshot-report.ts [report.html] [out.png]     default: the newest report → docs/report.png
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { launchChromium } from '../test/helpers/browser';

const WIDTH = 1200;
const MAX_HEIGHT = 3000;

function newestReport(dir: string): string {
  const reports = readdirSync(dir)
    .filter((f) => /^report-.*\.html$/.test(f))
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (reports.length === 0) throw new Error(`no report-*.html in ${dir}: run \`npm start\` first`);
  return reports[0];
}

async function main(): Promise<void> {
  const root = resolve(__dirname, '..');
  const [input, output] = process.argv.slice(2);
  const report = input ? resolve(input) : newestReport(join(root, '.mainspring', 'reports'));
  const out = output ? resolve(output) : join(root, 'docs', 'report.png');
  const browser = await launchChromium();
  try {
    // 1200 px wide at scale 1, cut at MAX_HEIGHT (the tail of a long timeline): readable on GitHub, < 400 KB.
    const page = await browser.newPage({ viewport: { width: WIDTH, height: 900 }, deviceScaleFactor: 1 });
    await page.goto(pathToFileURL(report).href, { waitUntil: 'load' });
    const height = await page.evaluate<number>('document.documentElement.scrollHeight');
    await page.screenshot({ path: out, fullPage: true, clip: { x: 0, y: 0, width: WIDTH, height: Math.min(height, MAX_HEIGHT) } });
    console.log(`${report} → ${out}`);
  } finally {
    await browser.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
