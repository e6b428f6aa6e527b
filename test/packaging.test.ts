// Packaging: the tarballs `npm pack` makes are what users install. Build, pack each public
// package, install the tarballs into a fresh project outside the repository, and check that
// they load from plain ESM and type-check from TypeScript under `moduleResolution: nodenext`
// and `bundler`. Nothing here touches the repository's node_modules.
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tsc = path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');

const PACKAGES = [
  { dir: 'packages/core', name: '@taskfit/core' },
  { dir: 'packages/piscina-adapter', name: '@taskfit/piscina-adapter' },
  { dir: 'packages/temporal-adapter', name: '@taskfit/temporal-adapter' },
  { dir: 'packages/dashboard', name: '@taskfit/dashboard' },
] as const;

/** Every public entry point and a few runtime names each must export (the DESIGN.md contract). */
const ENTRY_EXPORTS: Record<string, string[]> = {
  '@taskfit/core': [
    'validateTaskOptions',
    'mergeTaskOptions',
    'resolveTaskOptions',
    'resourceDemand',
    'remote',
    'fromRayOptions',
    'toRayOptions',
    'TaskOptionsError',
    'NodeResources',
    'Cluster',
    'RESOURCE_UNIT_SCALING',
    'TaskTimeoutError',
  ],
  '@taskfit/core/node': ['detectNodeResources'],
  '@taskfit/piscina-adapter': ['TaskPool'],
  '@taskfit/piscina-adapter/worker': ['getTaskContext'],
  '@taskfit/temporal-adapter': ['TaskTimeoutError'],
  '@taskfit/temporal-adapter/workflow': ['remoteActivity', 'TaskTimeoutError'],
  '@taskfit/temporal-adapter/worker': ['createTaskWorkers', 'TaskTimeoutError'],
  '@taskfit/dashboard': ['serveDashboard', 'registerMetrics'],
};

interface PackResult {
  name: string;
  filename: string;
  files: { path: string }[];
}

/** Child npm processes must not inherit the `npm_*` settings of an enclosing `npm test`. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v;
  return env;
}

async function sh(cmd: string, args: string[], cwd: string): Promise<string> {
  try {
    const { stdout } = await run(cmd, args, { cwd, env: cleanEnv(), maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed in ${cwd}:\n${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`, {
      cause: err,
    });
  }
}

/** Makes `dir` a fresh ESM project named `name` with `tarballs` installed (npm, no lock file). */
async function installProject(dir: string, name: string, tarballs: string[]): Promise<void> {
  await writeFile(
    path.join(dir, 'package.json'),
    JSON.stringify({ name, version: '0.0.0', private: true, type: 'module' }, null, 2),
  );
  await sh(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', '--no-package-lock', '--loglevel=error', ...tarballs],
    dir,
  );
}

let work = '';
let app = '';
/** A project with only core and the Temporal adapter: `@taskfit/piscina-adapter` is an optional peer. */
let appWithoutPool = '';
const packed = new Map<string, PackResult>();

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'taskfit-pack-'));
  const tarballs = path.join(work, 'tarballs');
  app = path.join(work, 'app');
  await mkdir(tarballs);
  await mkdir(app);

  // Build exactly what is packed (incremental: cheap after `turbo run build`).
  await sh(process.execPath, [tsc, '-b', ...PACKAGES.map((p) => p.dir)], repoRoot);

  for (const p of PACKAGES) {
    const out = await sh('npm', ['pack', '--json', '--pack-destination', tarballs], path.join(repoRoot, p.dir));
    const [result] = JSON.parse(out) as PackResult[];
    if (!result) throw new Error(`npm pack printed no result for ${p.name}`);
    packed.set(p.name, result);
  }

  await installProject(
    app,
    'taskfit-packaging-check',
    PACKAGES.map((p) => path.join(tarballs, packed.get(p.name)!.filename)),
  );
});

beforeAll(async () => {
  appWithoutPool = path.join(work, 'app-without-pool');
  await mkdir(appWithoutPool);
  await installProject(
    appWithoutPool,
    'taskfit-packaging-no-pool',
    (['@taskfit/core', '@taskfit/temporal-adapter'] as const).map((n) =>
      path.join(work, 'tarballs', packed.get(n)!.filename),
    ),
  );
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('npm pack tarballs', () => {
  it.each(PACKAGES.map((p) => p.name))(
    '%s ships built JS, declarations, maps with their sources, LICENSE and README; no tests or build info',
    async (name) => {
      const result = packed.get(name)!;
      const files = result.files.map((f) => f.path);
      expect(files).toContain('package.json');
      expect(files.filter((f) => /\.test(-d)?\.|__fixtures__|tsbuildinfo/.test(f))).toEqual([]);
      expect(files).toEqual(expect.arrayContaining(['LICENSE', 'README.md']));

      // Source maps and declaration maps point at files that are in the tarball (src/ ships for them).
      const dir0 = PACKAGES.find((p) => p.name === name)!.dir;
      const shipped = new Set(files);
      const maps = files.filter((f) => f.endsWith('.map'));
      expect(maps.length).toBeGreaterThan(0);
      for (const map of maps) {
        const { sources } = JSON.parse(await readFile(path.join(repoRoot, dir0, map), 'utf8')) as { sources: string[] };
        for (const source of sources) {
          expect(shipped, `${name}: ${map} points at ${source}`).toContain(
            path.posix.join(path.posix.dirname(map), source),
          );
        }
      }

      // Every `exports` target (types and default) is in the tarball.
      const dir = PACKAGES.find((p) => p.name === name)!.dir;
      const manifest = JSON.parse(await readFile(path.join(repoRoot, dir, 'package.json'), 'utf8')) as {
        exports: Record<string, string | { types?: string; default?: string }>;
      };
      const targets: string[] = [];
      for (const [sub, target] of Object.entries(manifest.exports)) {
        if (sub === './package.json') continue;
        if (typeof target === 'string') targets.push(target);
        else {
          expect(target.types, `${name} exports["${sub}"] has types`).toMatch(/\.d\.ts$/);
          targets.push(target.types!, target.default!);
        }
      }
      for (const t of targets) expect(files, `${name} ships ${t}`).toContain(t.replace(/^\.\//, ''));
    },
  );
});

describe('installed into a fresh project', () => {
  it('imports every entry point from ESM', async () => {
    const checks = Object.entries(ENTRY_EXPORTS)
      .map(
        ([spec, names], i) =>
          `const m${i} = await import(${JSON.stringify(spec)});\n` +
          `for (const n of ${JSON.stringify(names)}) if (m${i}[n] === undefined) missing.push(${JSON.stringify(spec)} + ': ' + n);`,
      )
      .join('\n');
    const script =
      `const missing = [];\n${checks}\n` +
      `const { remote, validateTaskOptions, TaskOptionsError } = await import('@taskfit/core');\n` +
      `const rf = remote((x) => x, { numGpus: 0.5 }).options({ numCpus: 2 });\n` +
      `let code = null; try { validateTaskOptions({ num_gpus: 1 }); } catch (e) { code = e instanceof TaskOptionsError ? e.code : String(e); }\n` +
      // TaskTimeoutError is core's class, re-exported by every entry point of the Temporal adapter.
      `const adapterEntries = ['@taskfit/temporal-adapter', '@taskfit/temporal-adapter/workflow', '@taskfit/temporal-adapter/worker'];\n` +
      `const coreTimeout = (await import('@taskfit/core')).TaskTimeoutError;\n` +
      `let timeoutErrorIsCores = true; for (const s of adapterEntries) if ((await import(s)).TaskTimeoutError !== coreTimeout) timeoutErrorIsCores = false;\n` +
      // The dashboard serves its page (plain files shipped in assets/) from the installed package.
      `const { serveDashboard } = await import('@taskfit/dashboard');\n` +
      `const d = await serveDashboard({ port: 0 });\n` +
      `const page = await (await fetch(d.url)).text();\n` +
      `const js = (await fetch(new URL('/app.js', d.url))).status;\n` +
      `await d.close();\n` +
      `const dashboard = page.includes('<title>taskfit dashboard</title>') && js === 200;\n` +
      `console.log(JSON.stringify({ missing, numCpus: rf.taskOptions.numCpus, numGpus: rf.taskOptions.numGpus, code, dashboard, timeoutErrorIsCores }));\n`;
    await writeFile(path.join(app, 'check.mjs'), script);
    const out = JSON.parse(await sh(process.execPath, ['check.mjs'], app)) as Record<string, unknown>;
    expect(out).toEqual({
      missing: [],
      numCpus: 2,
      numGpus: 0.5,
      code: 'unknown_option',
      dashboard: true,
      timeoutErrorIsCores: true,
    });
  });

  it.each(['nodenext', 'bundler'] as const)('type-checks from TypeScript with moduleResolution %s', async (mode) => {
    const dir = path.join(app, `ts-${mode}`);
    await mkdir(dir, { recursive: true });
    await writeFile(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify(
        {
          compilerOptions: {
            target: 'ES2022',
            module: mode === 'nodenext' ? 'nodenext' : 'esnext',
            moduleResolution: mode,
            strict: true,
            exactOptionalPropertyTypes: true,
            noUncheckedIndexedAccess: true,
            verbatimModuleSyntax: true,
            noEmit: true,
            // @temporalio/common's `ms` typings need it under nodenext (see reference notes).
            skipLibCheck: true,
            typeRoots: [path.join(repoRoot, 'node_modules', '@types')],
            types: ['node'],
          },
          files: ['index.ts'],
        },
        null,
        2,
      ),
    );
    // `.mts`-free: the app's package.json says "type": "module", so index.ts is ESM under nodenext.
    await writeFile(
      path.join(dir, 'index.ts'),
      [
        `import { remote, validateTaskOptions, resourceDemand, TaskOptionsError, NodeResources } from '@taskfit/core';`,
        `import type { TaskOptions, ResolvedTaskOptions } from '@taskfit/core';`,
        `import { detectNodeResources } from '@taskfit/core/node';`,
        `import { TaskPool } from '@taskfit/piscina-adapter';`,
        `import { getTaskContext } from '@taskfit/piscina-adapter/worker';`,
        `import * as temporal from '@taskfit/temporal-adapter';`,
        `import { remoteActivity, TaskTimeoutError } from '@taskfit/temporal-adapter/workflow';`,
        `import type { TaskTimeoutType } from '@taskfit/temporal-adapter/workflow';`,
        `import { createTaskWorkers } from '@taskfit/temporal-adapter/worker';`,
        `import { TaskTimeoutError as CoreTaskTimeoutError, type TaskFailure } from '@taskfit/core';`,
        `import { serveDashboard, registerMetrics } from '@taskfit/dashboard';`,
        `import type { Dashboard } from '@taskfit/dashboard';`,
        `const pool = new TaskPool({ filename: 'tasks.mjs', resources: { CPU: 1 } });`,
        `const dashboard: Promise<Dashboard> = serveDashboard({ pools: [pool], port: 0 });`,
        ``,
        `const opts: TaskOptions = { numCpus: 1, numGpus: 0.5, maxRetries: 2, retryExceptions: ['TimeoutError'] };`,
        `const checked: TaskOptions = validateTaskOptions(opts);`,
        `const demand: Record<string, number> = resourceDemand(checked);`,
        `const rf = remote((a: number, b: number) => a + b, opts).options({ numCpus: 2 });`,
        `const resolved: ResolvedTaskOptions = rf.resolvedOptions;`,
        `const node = new NodeResources({ CPU: 4, GPU: 1 });`,
        `const err: unknown = new Error('x');`,
        `if (err instanceof TaskOptionsError) console.log(err.code, err.issues.length);`,
        `const timeoutType: TaskTimeoutType = 'START_TO_CLOSE';`,
        `const timedOut: TaskFailure = new TaskTimeoutError('t', 1, timeoutType, 'late', { taskQueue: 'q' });`,
        `const sameClass: typeof CoreTaskTimeoutError = TaskTimeoutError;`,
        `// @ts-expect-error numGpus must be a number`,
        `const bad: TaskOptions = { numGpus: 'one' };`,
        `export const used = [demand, resolved, node, bad, timedOut, sameClass, detectNodeResources, TaskPool, getTaskContext, temporal, remoteActivity, createTaskWorkers, dashboard, registerMetrics];`,
        ``,
      ].join('\n'),
    );
    // tsc prints diagnostics on stdout; sh() puts them in the error on failure.
    await sh(process.execPath, [tsc, '-p', path.join(dir, 'tsconfig.json')], dir);
  });
});

describe('the Temporal adapter without @taskfit/piscina-adapter (an optional peer)', () => {
  it('installs, loads and type-checks; the pool option says what is missing', async () => {
    const installed = await readFile(
      path.join(appWithoutPool, 'node_modules', '@taskfit', 'temporal-adapter', 'package.json'),
      'utf8',
    );
    expect(JSON.parse(installed)).toMatchObject({
      peerDependenciesMeta: { '@taskfit/piscina-adapter': { optional: true } },
    });
    await expect(
      readFile(path.join(appWithoutPool, 'node_modules', '@taskfit', 'piscina-adapter', 'package.json')),
    ).rejects.toThrow();
    await writeFile(
      path.join(appWithoutPool, 'check.mjs'),
      [
        `const { createTaskWorkers } = await import('@taskfit/temporal-adapter/worker');`,
        `const { remoteActivity } = await import('@taskfit/temporal-adapter/workflow');`,
        `let message = '';`,
        `try { await createTaskWorkers({ connection: {}, taskQueue: 'q', activities: {}, resources: { CPU: 1 }, pool: {} }); } catch (e) { message = e.message; }`,
        `console.log(JSON.stringify({ remoteActivity: typeof remoteActivity, message }));`,
      ].join('\n'),
    );
    const out = JSON.parse(await sh(process.execPath, ['check.mjs'], appWithoutPool)) as {
      remoteActivity: string;
      message: string;
    };
    expect(out.remoteActivity).toBe('function');
    expect(out.message).toMatch(
      /optional peer dependency of @taskfit\/temporal-adapter \(npm install @taskfit\/piscina-adapter\)/,
    );
    const dir = path.join(appWithoutPool, 'ts');
    await mkdir(dir, { recursive: true });
    await writeFile(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          typeRoots: [path.join(repoRoot, 'node_modules', '@types')],
          types: ['node'],
        },
        files: ['index.ts'],
      }),
    );
    await writeFile(
      path.join(dir, 'index.ts'),
      `import { createTaskWorkers } from '@taskfit/temporal-adapter/worker';\nimport type { TaskWorkersOptions } from '@taskfit/temporal-adapter/worker';\nconst o: Partial<TaskWorkersOptions> = { classes: [{ numGpus: 1 }] };\nexport const used = [createTaskWorkers, o];\n`,
    );
    await sh(process.execPath, [tsc, '-p', path.join(dir, 'tsconfig.json')], dir);
  });
});
