#!/usr/bin/env node
// Bundles the catalogue (our code + TypeORM) into dist/catalog/bundle.js. TypeORM is ~300 modules; resolving and
// compiling them one by one cost ~0.2 s on every command that opens the catalogue (bench/run.sh local). The
// bundle is loaded by src/catalog/lazy.ts when present; sources run through tsx fall back to the modules.
// Native and optional database drivers stay outside the bundle: better-sqlite3 is the one the catalogue uses.
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

// TypeORM imports entity and migration files given as paths with an import() hidden in a Function string. The
// catalogue passes classes, never paths, so that call is unreachable; it is replaced by the require it falls back
// to, so the bundle holds no import() and the CLI's compile cache (packages/cli/bin/compile-cache.js) may cache it.
const HIDDEN_IMPORT = 'await Function("return filePath => import(filePath)")()(';
const INSTEAD = 'await ((target) => Promise.reject(new Error(`the sregistry catalogue does not load ${target} by path`)))(';

esbuild
  .build({
    entryPoints: [path.join(root, 'dist/catalog/index.js')],
    outfile,
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
    const code = fs.readFileSync(outfile, 'utf8');
    if (!code.includes(HIDDEN_IMPORT)) throw new Error(`TypeORM changed: ${HIDDEN_IMPORT} not found in the bundle`);
    const patched = code.replace(HIDDEN_IMPORT, INSTEAD);
    if (/\bimport\s*\(/.test(patched)) throw new Error('the catalogue bundle still contains import()');
    fs.writeFileSync(outfile, patched);
  })
  .catch((error) => {
    console.error(error);
    process.exit(1);
  });
