#!/usr/bin/env node
// Bundles the heavy parts of core that load on demand, so each is one file to read and compile instead of
// hundreds of modules to resolve (bench/run.sh local; docs/performance.md, "Startup"):
// - dist/catalog/bundle.js: the catalogue (our code, SQLite in plain SQL), loaded by src/catalog/lazy.ts.
// - dist/catalog/typeorm-bundle.js: TypeORM for the PostgreSQL catalogue (~300 modules, ~0.2 s unbundled), loaded by
//   src/catalog/typeorm-lazy.ts. Native and optional database drivers stay outside both: better-sqlite3 and pg.
// - dist/transfer/axios-bundle.js: axios with form-data, follow-redirects and the proxy agent (~60 modules,
//   ~60 ms), loaded by src/transfer/http-client.ts.
// - dist/backends/semver-bundle.js: semver's range check, loaded by src/backends/compat.ts.
// - dist/catalog/pg-bundle.js: pg, loaded by src/catalog/reader-postgres.ts (the team catalogue's plain reader).
// Sources run through tsx find no bundle and load the modules.
const fs = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');

const OPTIONAL_DRIVERS = [
  'better-sqlite3',
  'reflect-metadata',
  '@sap/hana-client',
  '@sap/hana-client/extension/Stream',
  'hdb-pool',
  'mysql',
  'mysql2',
  'pg',
  'pg-native',
  'pg-pool',
  'pg-query-stream',
  'oracledb',
  'mssql',
  'mongodb',
  'sql.js',
  'sqlite3',
  'redis',
  'ioredis',
  'typeorm-aurora-data-api-driver',
  '@google-cloud/spanner',
  'react-native-sqlite-storage',
  'expo-sqlite',
  '@capacitor-community/sqlite',
  'nativescript-sqlite',
  '@sqlitecloud/drivers',
  'better-sqlite3-multiple-ciphers',
  'ts-node',
];

const root = path.resolve(__dirname, '..');
const outfile = path.join(root, 'dist/catalog/bundle.js');
const typeormOut = path.join(root, 'dist/catalog/typeorm-bundle.js');

// TypeORM imports entity and migration files given as paths with an import() hidden in a Function string. The
// catalogue passes classes, never paths, so that call is unreachable; it is replaced by the require it falls back
// to, so the bundle holds no import() and the CLI's compile cache (packages/cli/bin/compile-cache.js) may cache it.
const HIDDEN_IMPORT = 'await Function("return filePath => import(filePath)")()(';
const DYNAMIC_IMPORT = /\bimport\s*\(/;
const INSTEAD = 'await ((target) => Promise.reject(new Error(`the sregistry catalogue does not load ${target} by path`)))(';

// The catalogue without TypeORM (SQLite is plain SQL): src/catalog/typeorm-lazy.ts requires the TypeORM part at
// run time, from its own bundle, so those requires stay outside this one.
const typeormOutside = {
  name: 'typeorm-outside',
  setup(build) {
    build.onResolve({ filter: /^\.\/typeorm-(bundle|entry)$/ }, (args) => ({ path: args.path, external: true }));
  },
};
const catalogue = esbuild
  .build({
    entryPoints: [path.join(root, 'dist/catalog/index.js')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: OPTIONAL_DRIVERS,
    plugins: [typeormOutside],
    keepNames: true, // our errors rely on class and function names
    minifyWhitespace: true,
    logLevel: 'error',
  })
  .then(() => {
    const code = fs.readFileSync(outfile, 'utf8');
    if (/node_modules[\\/](\.pnpm[\\/])?typeorm/.test(code)) throw new Error('the catalogue bundle contains TypeORM');
    if (DYNAMIC_IMPORT.test(code)) throw new Error('the catalogue bundle contains import()');
  });

// TypeORM for the PostgreSQL catalogue (src/catalog/typeorm-entry.ts, ~300 modules as one file).
const typeormBundle = esbuild
  .build({
    entryPoints: [path.join(root, 'dist/catalog/typeorm-entry.js')],
    outfile: typeormOut,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: OPTIONAL_DRIVERS,
    keepNames: true, // TypeORM and our errors rely on class and function names
    minifyWhitespace: true,
    logLevel: 'error',
  })
  .then(() => {
    const code = fs.readFileSync(typeormOut, 'utf8');
    if (!code.includes(HIDDEN_IMPORT)) throw new Error(`TypeORM changed: ${HIDDEN_IMPORT} not found in the bundle`);
    const patched = code.replace(HIDDEN_IMPORT, INSTEAD);
    if (DYNAMIC_IMPORT.test(patched)) throw new Error('the TypeORM bundle still contains import()');
    fs.writeFileSync(typeormOut, patched);
  });

// axios's top level loads what sregistry's requests never use: form-data with mime-db (axios's own FormData
// support; our multipart bodies are streamed by transfer/multipart.ts), https-proxy-agent with debug (HTTPS through
// a proxy), http2, and Node's fetch (undici, ~20 ms): a warm-up getFetch() and a read of the global FormData. The
// bundle loads each on first use instead, which is what the code around them already allows: each
// [from, to] below must match exactly once, so a changed axios fails the build instead of bundling unpatched.
const LAZY_AXIOS = [
  ["var FormData$1 = require('form-data');", "var FormData$1 = lazyClass(() => require('form-data'));"],
  ["var HttpsProxyAgent = require('https-proxy-agent');", "var HttpsProxyAgent = lazyClass(() => require('https-proxy-agent'));"],
  ["var http2 = require('http2');", "var http2 = lazyObject(() => require('http2'));"],
  // seeds getFetch's cache with the globals; the fetch adapter computes the same on its first use
  ['\ngetFetch();\n', '\n'],
  // an undici FormData also passes isFormData's structural test below it (its kind is 'formdata'), so reading the
  // global only once it has been loaded gives the same answers
  [
    "const FormDataCtor = typeof G.FormData !== 'undefined' ? G.FormData : undefined;",
    "const loadedFormData = () => { const d = Object.getOwnPropertyDescriptor(G, 'FormData'); return d && 'value' in d ? d.value : undefined; };",
  ],
  ['  if (FormDataCtor && thing instanceof FormDataCtor) return true;', '  const FormDataCtor = loadedFormData();\n  if (FormDataCtor && thing instanceof FormDataCtor) return true;'],
];
const LAZY_HELPERS = `
// added by sregistry's scripts/bundle.js: a module loaded on first use
function lazyObject(load) {
  let mod;
  const real = () => (mod ??= load());
  return new Proxy({}, { get: (_, key) => Reflect.get(real(), key), has: (_, key) => Reflect.has(real(), key) });
}
function lazyClass(load) {
  let mod;
  const real = () => (mod ??= load());
  return new Proxy(function lazy() {}, {
    construct: (_, args) => Reflect.construct(real(), args),
    apply: (_, self, args) => Reflect.apply(real(), self, args),
    get: (_, key) => Reflect.get(real(), key),
    has: (_, key) => Reflect.has(real(), key),
  });
}
`;
const lazyAxios = {
  name: 'lazy-axios',
  setup(build) {
    build.onLoad({ filter: /axios[\\/]dist[\\/]node[\\/]axios\.cjs$/ }, (args) => {
      let code = fs.readFileSync(args.path, 'utf8');
      for (const [from, to] of LAZY_AXIOS) {
        const found = code.split(from).length - 1;
        if (found !== 1) throw new Error(`axios changed: ${JSON.stringify(from)} found ${found} times, expected once`);
        code = code.replace(from, () => to);
      }
      // after the 'use strict' directive, which only counts as the first statement
      const strict = "'use strict';\n";
      if (!code.split('\n', 3).includes(strict.trim())) throw new Error('axios changed: no use strict at its start');
      return { contents: code.replace(strict, () => `${strict}${LAZY_HELPERS}`), loader: 'js' };
    });
  },
};

const axiosOut = path.join(root, 'dist/transfer/axios-bundle.js');
const http = esbuild
  .build({
    entryPoints: [require.resolve('axios')],
    outfile: axiosOut,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    plugins: [lazyAxios],
    keepNames: true,
    minifyWhitespace: true,
    logLevel: 'error',
  })
  .then(() => {
    if (DYNAMIC_IMPORT.test(fs.readFileSync(axiosOut, 'utf8'))) throw new Error('the axios bundle contains import()');
  });

// semver's range check for plugins' core ranges (src/backends/compat.ts, every command that finds backends): ~18
// small modules, one file here.
const semverOut = path.join(root, 'dist/backends/semver-bundle.js');
const semver = esbuild.build({
  stdin: {
    contents: "module.exports = { validRange: require('semver/ranges/valid'), satisfies: require('semver/functions/satisfies') };",
    resolveDir: root,
    loader: 'js',
  },
  outfile: semverOut,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minifyWhitespace: true,
  logLevel: 'error',
});

// pg for the team catalogue's plain reader (src/catalog/reader-postgres.ts: images/get/inspect on PostgreSQL): its
// ~30 modules as one file. pg tells Cloudflare Workers from Node by constructing the global Response, and touching
// that global loads Node's undici, http2 and worker_threads (~100 internal modules, ~30 ms of CPU) in a command
// that needs none of them; on Node, where `navigator` is no object and Response never carries `cf`, the answer is
// always false, so the bundle says so without asking. pg-native and pg-cloudflare stay outside (never loaded here).
const pgOut = path.join(root, 'dist/catalog/pg-bundle.js');
const CLOUDFLARE_CHECK = 'function getStreamFuncs() {\n  if (isCloudflareRuntime()) {';
const pgBundle = esbuild.build({
    entryPoints: [require.resolve('pg')],
    outfile: pgOut,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: ['pg-native', 'pg-cloudflare'],
    keepNames: true,
    minifyWhitespace: true,
    logLevel: 'error',
    plugins: [
      {
        name: 'pg-on-node',
        setup(build) {
          build.onLoad({ filter: /[\\/]pg[\\/]lib[\\/]stream\.js$/ }, (args) => {
            const code = fs.readFileSync(args.path, 'utf8');
            if (code.split(CLOUDFLARE_CHECK).length !== 2) throw new Error('pg changed: its Cloudflare check was not found once in lib/stream.js');
            return { contents: code.replace(CLOUDFLARE_CHECK, 'function getStreamFuncs() {\n  if (false) {'), loader: 'js' };
          });
        },
      },
    ],
  });

Promise.all([catalogue, typeormBundle, http, semver, pgBundle]).catch((error) => {
  console.error(error);
  process.exit(1);
});
