import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

// Builds the web console into dist/console/assets (run by `npm run build` after tsc): one script,
// one style sheet and the page, all served by `ecl serve` itself; nothing is loaded from elsewhere.

const here = fileURLToPath(new URL('.', import.meta.url));

const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="referrer" content="no-referrer" />
    <title>ECL console</title>
    <link rel="stylesheet" href="/console/app.css" />
  </head>
  <body>
    <div id="app"></div>
    <script type="module" src="/console/app.js"></script>
  </body>
</html>
`;

export interface ConsoleBuild {
  dir: string;
  /** Bytes of each file, and gzipped. */
  files: Array<{ name: string; bytes: number; gzipBytes: number }>;
}

/** Bundles and minifies the console (Preact, esbuild) into `outDir`. */
export async function buildConsole(outDir = join(here, '..', '..', 'dist', 'console', 'assets')): Promise<ConsoleBuild> {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  await build({
    entryPoints: [join(here, 'app', 'main.tsx')],
    outfile: join(outDir, 'app.js'),
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['chrome110', 'firefox110', 'safari16'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    legalComments: 'none',
    logLevel: 'warning',
    tsconfig: join(here, 'app', 'tsconfig.json'),
  });
  writeFileSync(join(outDir, 'app.css'), readFileSync(join(here, 'app', 'style.css')));
  writeFileSync(join(outDir, 'index.html'), PAGE);
  const files = ['index.html', 'app.js', 'app.css'].map((name) => {
    const body = readFileSync(join(outDir, name));
    return { name, bytes: body.length, gzipBytes: gzipSync(body, { level: 9 }).length };
  });
  return { dir: outDir, files };
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const built = await buildConsole(process.argv[2]);
  const total = built.files.reduce((sum, file) => sum + file.gzipBytes, 0);
  process.stdout.write(
    `console: ${built.files.map((file) => `${file.name} ${(file.bytes / 1024).toFixed(1)} KB`).join(', ')} (${(total / 1024).toFixed(1)} KB gzipped) in ${built.dir}\n`,
  );
}
