// `npm run package`: a production build, then the VSIX from a staging folder (out/vsix) that holds
// only what the extension runs: the bundles in dist/ (no source maps, no CLI), the WebAssembly
// backend, the report webview, media, translations, the JSON schema and the demo data.
//
// Why a staging folder: package.json's "files" (the npm package of the CLI) and .vscodeignore
// cannot be combined in one vsce run, and vsce lets a negated pattern win over any exclusion, so
// stale maps in dist/ would slip in. The staged manifest drops the npm-only fields; everything
// is bundled, so it is packed with --no-dependencies.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const stage = path.join(root, 'out', 'vsix');
const output = path.join(root, 'synthetic-csv.vsix');
const run = (cmd, args, cwd = root) => execFileSync(cmd, args, { cwd, stdio: 'inherit' });

rmSync(path.join(root, 'dist'), { recursive: true, force: true });
run(process.execPath, ['scripts/build.mjs', '--production']);

rmSync(stage, { recursive: true, force: true });
mkdirSync(stage, { recursive: true });
const shipDist = (file) => !file.endsWith('.map') && file !== 'cli.js';
for (const entry of readdirSync(path.join(root, 'dist'), { recursive: true })) {
  const rel = String(entry);
  const from = path.join(root, 'dist', rel);
  if (statSync(from).isDirectory() || !shipDist(path.basename(rel))) continue;
  mkdirSync(path.dirname(path.join(stage, 'dist', rel)), { recursive: true });
  cpSync(from, path.join(stage, 'dist', rel));
}
for (const item of ['media', 'l10n', 'schemas', 'examples/patients.csv', 'README.md', 'LICENSE', 'package.nls.json', '.vscodeignore']) {
  if (existsSync(path.join(root, item))) cpSync(path.join(root, item), path.join(stage, item), { recursive: true });
}
const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
for (const npmOnly of ['files', 'bin', 'scripts', 'devDependencies', 'dependencies']) delete manifest[npmOnly];
writeFileSync(path.join(stage, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');

const vsce = path.join(path.dirname(createRequire(import.meta.url).resolve('@vscode/vsce/package.json')), 'vsce');
const license = existsSync(path.join(root, 'LICENSE')) ? [] : ['--skip-license'];
run(process.execPath, [vsce, 'package', '--no-dependencies', ...license, '--out', output], stage);

// Check the contents: what must be inside, and what must not.
// yauzl comes with @vscode/vsce (it reads VSIX files itself).
const require = createRequire(createRequire(import.meta.url).resolve('@vscode/vsce/package.json'));
const yauzl = require('yauzl');
const listing = await new Promise((resolve, reject) => {
  yauzl.open(output, { lazyEntries: false }, (error, zip) => {
    if (error) return reject(error);
    const names = [];
    zip.on('entry', (entry) => names.push(entry.fileName));
    zip.on('end', () => resolve(names));
    zip.on('error', reject);
  });
});
const must = [
  'extension/package.json',
  'extension/dist/extension.js',
  'extension/dist/worker.js',
  'extension/dist/tfjs-backend-wasm.wasm',
  'extension/dist/webview/report.js',
  'extension/dist/webview/report.css',
  'extension/examples/patients.csv',
  'extension/schemas/synthetic-csv-schema.json',
  'extension/media/placeholder.js',
];
const missing = must.filter((f) => !listing.includes(f));
const forbidden = listing.filter((f) => /\.map$|\.ts$|^extension\/(src|test|node_modules)\//.test(f));
if (missing.length || forbidden.length) {
  console.error(`VSIX check failed.\n  missing: ${missing.join(', ') || '-'}\n  should not be there: ${forbidden.join(', ') || '-'}`);
  process.exit(1);
}
const extension = readFileSync(path.join(root, 'dist', 'extension.js'), 'utf8');
if (/tensorflow|tfjs/i.test(extension)) {
  console.error('dist/extension.js contains TensorFlow.js: it must only load in the worker');
  process.exit(1);
}
const size = statSync(output).size;
console.log(`\n${path.relative(root, output)}: ${(size / 1024 / 1024).toFixed(2)} MB, ${listing.length} entries; extension.js ${(extension.length / 1024).toFixed(1)} KB, no TensorFlow`);
