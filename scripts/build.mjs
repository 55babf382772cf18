// One build for every bundle: the CLI, the extension, the training worker and the report webview
// page. `node scripts/build.mjs --watch` rebuilds on change.
import * as esbuild from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

const common = {
  bundle: true,
  sourcemap: !production,
  minify: production,
  logLevel: 'info',
  define: { __SYNTHETIC_CSV_VERSION__: JSON.stringify(pkg.version) },
};

// tfjs-node is an optional native extra: required at run time only where it is installed.
const node = { ...common, platform: 'node', target: 'node20', format: 'cjs', external: ['@tensorflow/tfjs-node'] };

const builds = [
  { ...node, entryPoints: { cli: 'src/cli/index.ts' }, outdir: 'dist' },
  // The extension host never loads TensorFlow: heavy work runs in the worker process.
  { ...node, entryPoints: { extension: 'src/extension/extension.ts' }, outdir: 'dist', external: ['vscode', '@tensorflow/tfjs-node'] },
  { ...node, entryPoints: { worker: 'src/worker/worker.ts' }, outdir: 'dist' },
  // Worker threads that sample large outputs on every core.
  { ...node, entryPoints: { 'sample-worker': 'src/core/model/sample-worker.ts' }, outdir: 'dist' },
];
if (existsSync('webview/report/main.ts')) {
  // The report page: dist/webview/report.js plus the CSS it imports, dist/webview/report.css.
  // Always minified: the offline HTML report inlines both files.
  builds.push({
    ...common,
    platform: 'browser',
    target: ['es2022', 'chrome114'],
    format: 'iife',
    minify: true,
    legalComments: 'none',
    entryPoints: { report: 'webview/report/main.ts' },
    outdir: 'dist/webview',
    loader: { '.css': 'css' },
  });
}

// The wasm backend loads its .wasm binaries from beside the bundle: ship them in dist/.
mkdirSync('dist', { recursive: true });
const wasmDir = 'node_modules/@tensorflow/tfjs-backend-wasm/dist';
for (const file of readdirSync(wasmDir)) if (file.endsWith('.wasm')) copyFileSync(`${wasmDir}/${file}`, `dist/${file}`);

if (watch) {
  for (const options of builds) await (await esbuild.context(options)).watch();
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
}
