import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const bundles = new Map<string, Promise<string>>();

/**
 * A module beside the caller (`name` without extension, next to `callerUrl`) and everything it
 * imports, bundled once per process into one ES module's source, for a child process (`node -e`)
 * or a worker thread (a data: URL) that runs without a TypeScript loader: the same source then runs
 * from `src/` under tests and from `dist/` when installed. Packages in `external` stay imports, by
 * absolute file URL, so they resolve wherever the source runs (native addons cannot be bundled).
 */
export function bundleModule(callerUrl: string, name: string, external: string[]): Promise<string> {
  const entry = fileURLToPath(new URL(`./${name}${callerUrl.endsWith('.ts') ? '.ts' : '.js'}`, callerUrl));
  let bundle = bundles.get(entry);
  if (!bundle) {
    const require = createRequire(callerUrl);
    bundle = build({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      format: 'esm',
      write: false,
      logLevel: 'silent',
      plugins: [
        {
          name: 'external-by-url',
          setup(b) {
            for (const pkg of external) {
              const filter = new RegExp(`^${pkg.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`);
              b.onResolve({ filter }, () => ({ path: pathToFileURL(require.resolve(pkg)).href, external: true }));
            }
          },
        },
      ],
      // Named in stack traces (a data: URL would otherwise print the whole source).
    }).then((out) => `${out.outputFiles[0].text}\n//# sourceURL=sextant:${name}`);
    bundles.set(entry, bundle);
  }
  return bundle;
}
