#!/usr/bin/env node
// Bundles @oclif/core into one file, dist/oclif-bundle.js, which bin/run.js puts in require's cache in place of
// @oclif/core's own entry (bin/oclif-core.js). Loading oclif's ~150 modules cost every oclif command about 50 ms of
// resolving, reading and compiling (`node --cpu-prof` of `backend status`; docs/performance.md, "Startup"); one
// file costs a fraction of it and lets the compile cache keep oclif's code in one entry.
// - The bundle is made from the @oclif/core the CLI depends on and records its version: bin/oclif-core.js uses it
//   only when the installed @oclif/core is that version, so a mismatch means loading oclif as before.
// - oclif reads its package.json relative to its own folder (its version, the Node range it supports); the bundle
//   lives elsewhere, so those reads become the values read here.
// - oclif's dynamic import() calls (ESM commands and hooks, tsx, wsl-utils) go through bin/dynamic-import.js:
//   Node 20 loses a script's import() callback when its code comes from the compile cache, and a bundle without
//   import() may be cached.
// - typescript (only for linked plugins in development) stays outside.
const fs = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');

const root = path.resolve(__dirname, '..');
const oclifEntry = require.resolve('@oclif/core', { paths: [root] });
const oclifPjson = JSON.parse(fs.readFileSync(path.join(path.dirname(oclifEntry), '..', 'package.json'), 'utf8'));
const outfile = path.join(root, 'dist', 'oclif-bundle.js');
// core's comparator (src/text/order.ts, self-contained), for the sort below; core is built before the CLI
const coreDist = path.join(path.dirname(require.resolve('@sregistry/core/package.json', { paths: [root] })), 'dist');
const { compareLikeLocale } = require(path.join(coreDist, 'text', 'order.js'));
const DYNAMIC_IMPORT = /\bimport\s*\(/;

/** Each [from, to, times]: text in oclif's code and what replaces it; a count that differs means oclif changed. */
const PATCHES = [
  // cache.js: @oclif/core's version
  [
    'JSON.parse((0,node_fs_1.readFileSync)((0,node_path_1.join)(__dirname,"..","package.json"),"utf8")).version',
    JSON.stringify(oclifPjson.version),
    1,
  ],
  // index.js: the Node versions oclif supports
  [
    'require(path.join(root,"package.json"))',
    `(${JSON.stringify({ name: oclifPjson.name, version: oclifPjson.version, engines: oclifPjson.engines })})`,
    1,
  ],
  ['await import(', 'await require("../bin/dynamic-import.js")(', 5],
  // help/util.js: help runs every summary, description and example through ejs, which compiles each into a new
  // Function (about a third of `--help`'s own time). Text without ejs's tags (`<%`, and `%>` which ejs drops when
  // alone) comes out of ejs unchanged, so it is returned as it is; templated text still goes through ejs.
  [
    'function render(t){return ejs_1.default.render(t,context)}',
    'function render(t){return typeof t==="string"&&!t.includes("<%")&&!t.includes("%>")?t:ejs_1.default.render(t,context)}',
    1,
  ],
  // the same message, without the text the compile cache takes for a dynamic import
  ['"import()"', '"import"+"()"', 1],
  // plugin.js sorts each plugin's commands with localeCompare, whose first call starts ICU's collator: about 5 ms
  // of CPU in every command (8 ms median in 21 interleaved runs of `--help`); core's comparator gives the same
  // order without it for the ids there are
  [
    '.sort((a,b)=>a.id.localeCompare(b.id))',
    `.sort((a,b)=>(${compareLikeLocale.toString()})(a.id,b.id))`,
    1,
  ],
  // index.js: the Node check loads and compiles semver (~20 modules in the bundle, 1-4 ms) to test one `>=x.y.z`
  // range; the same test on the version numbers. A range of another form keeps semver (the build says so).
  ...nodeCheck(oclifPjson.engines?.node),
];

/** The patch for oclif's Node check when its range is a plain `>=x.y.z`; none (semver stays) otherwise. */
function nodeCheck(range) {
  const least = /^>=\s*(\d+)\.(\d+)\.(\d+)$/.exec(String(range ?? '').trim());
  if (!least) {
    console.warn(`bundle-oclif: @oclif/core's Node range ${range} is not >=x.y.z; its check keeps semver`);
    return [];
  }
  const [major, minor, patch] = least.slice(1).map(Number);
  const satisfies = `{satisfies:(v)=>{const[a,b,c]=String(v).split(".").map(Number);return a!==${major}?a>${major}:b!==${minor}?b>${minor}:c>=${patch}}}`;
  return [['const semver=require_semver2();', `const semver=${satisfies};`, 1]];
}

esbuild
  .build({
    entryPoints: [oclifEntry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: ['typescript'],
    keepNames: true, // oclif's errors and parsers compare class names
    minifyWhitespace: true,
    logLevel: 'error',
    banner: { js: `// @oclif/core ${oclifPjson.version} bundled by scripts/bundle-oclif.js` },
  })
  .then(() => {
    let code = fs.readFileSync(outfile, 'utf8');
    for (const [from, to, times] of PATCHES) {
      const found = code.split(from).length - 1;
      if (found !== times) throw new Error(`@oclif/core changed: ${from} found ${found} times, expected ${times}`);
      code = code.split(from).join(to);
    }
    if (DYNAMIC_IMPORT.test(code)) throw new Error('the oclif bundle still contains import()');
    fs.writeFileSync(outfile, `${code}module.exports.__bundledVersion=${JSON.stringify(oclifPjson.version)};\n`);
  })
  .catch((error) => {
    console.error(error);
    process.exit(1);
  });
