// A V8 code cache for the modules a command loads. Compiling oclif, the backends and the catalogue bundle from
// source is a large part of every command's start-up (bench/run.sh local: about 0.1 s of `wrapSafe` per pull);
// with cached code V8 skips most parsing and compiling. Node 22 has this built in (module.enableCompileCache),
// which is used when present; on Node 20 the same is done here, as the v8-compile-cache package did, with a
// content hash so an edited file never runs stale code. Node 20 loses a script's dynamic-import() callback when
// it comes from cached code, so files that contain `import(` are left to Node (the build keeps it out of the
// catalogue bundle). Everything is best effort: a missing or foreign cache only means compiling from source.
const crypto = require('node:crypto');
const fs = require('node:fs');
const Module = require('node:module');
const path = require('node:path');
const vm = require('node:vm');

const DYNAMIC_IMPORT = /\bimport\s*\(/;

function enableCompileCache(dir) {
  if (process.env.NODE_DISABLE_COMPILE_CACHE) return;
  if (typeof Module.enableCompileCache !== 'function') return cacheCompiledModules(dir);
  try {
    Module.enableCompileCache(dir);
  } catch {}
}

/** The Node 20 stand-in; returns counts of modules compiled with cached code (hits) and from source (misses). */
function cacheCompiledModules(dir) {
  const stats = { hits: 0, misses: 0 };
  // one file per Node build (V8 itself rejects code cached under other flags; such entries are compiled again)
  const file = path.join(dir, `v8-${process.version}-${process.arch}-${process.versions.v8}.bin`);
  const known = readStore(file);
  const compiled = new Map();
  const compile = Module.prototype._compile;

  Module.prototype._compile = function compileWithCache(content, filename, format) {
    // an ES module that require() loads (Node >= 20.19: @oclif/plugin-plugins, src/plugins-commands.ts) is
    // compiled by Node as a module, which the CommonJS wrapper below cannot do
    if (format === 'module' || typeof content !== 'string' || !/\.c?js$/.test(filename) || DYNAMIC_IMPORT.test(content)) {
      return compile.call(this, content, filename, format);
    }
    const hash = crypto.createHash('sha1').update(content).digest('base64');
    const entry = known.get(filename);
    const script = new vm.Script(Module.wrap(withoutShebang(content)), {
      filename,
      cachedData: entry?.hash === hash ? entry.data : undefined,
    });
    if (entry?.hash !== hash || script.cachedDataRejected) {
      compiled.set(filename, { hash, script });
      stats.misses++;
    } else stats.hits++;
    const wrapper = script.runInThisContext({ displayErrors: true });
    return wrapper.call(this.exports, this.exports, requireFor(this), this, filename, path.dirname(filename));
  };

  process.once('exit', () => {
    if (compiled.size > 0) writeStore(file, known, compiled);
  });
  return stats;
}

/** The `require` a module gets, as Node builds it. */
function requireFor(mod) {
  const require = (id) => mod.require(id);
  require.resolve = (request, options) => Module._resolveFilename(request, mod, false, options);
  require.resolve.paths = (request) => Module._resolveLookupPaths(request, mod);
  require.main = process.mainModule;
  require.extensions = Module._extensions;
  require.cache = Module._cache;
  return require;
}

/** A `#!` line is only valid at the very start of a script, not inside the module wrapper. */
function withoutShebang(content) {
  const text = content.charCodeAt(0) === 0xfeff ? content.slice(1) : content;
  return text.startsWith('#!') ? `//${text.slice(2)}` : text;
}

// Store: a 4-byte length, a JSON index [[filename, hash, length], ...], then the cached data in index order.
function readStore(file) {
  const entries = new Map();
  try {
    const buffer = fs.readFileSync(file);
    const indexLength = buffer.readUInt32LE(0);
    let offset = 4 + indexLength;
    for (const [filename, hash, length] of JSON.parse(buffer.toString('utf8', 4, offset))) {
      entries.set(filename, { hash, data: buffer.subarray(offset, offset + length) });
      offset += length;
    }
  } catch {
    entries.clear();
  }
  return entries;
}

function writeStore(file, known, compiled) {
  const temp = `${file}.${process.pid}.tmp`;
  let fd;
  try {
    // the folder must be writable before any work is done: a read-only cache must not cost every run
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fd = fs.openSync(temp, 'w');
    // files that are gone (an uninstalled plugin, a removed checkout) are dropped
    const entries = new Map([...known].filter(([filename]) => fs.existsSync(filename)));
    for (const [filename, { hash, script }] of compiled) entries.set(filename, { hash, data: script.createCachedData() });
    const index = [];
    const blobs = [];
    for (const [filename, { hash, data }] of entries) {
      index.push([filename, hash, data.length]);
      blobs.push(data);
    }
    const header = Buffer.from(JSON.stringify(index));
    const length = Buffer.alloc(4);
    length.writeUInt32LE(header.length);
    fs.writeFileSync(fd, Buffer.concat([length, header, ...blobs]));
    fs.closeSync(fd);
    fd = undefined;
    // written whole then renamed: a reader never sees half a store, concurrent writers only lose entries
    fs.renameSync(temp, file);
  } catch {
    // the clean-up can fail for the same reason the write did (the cache path under a regular file gives ENOTDIR
    // even for rmSync's force): a throw here, in an exit handler, would turn a finished command into exit 1
    try {
      if (fd !== undefined) fs.closeSync(fd);
      fs.rmSync(temp, { force: true });
    } catch {}
  }
}

module.exports = { cacheCompiledModules, enableCompileCache };
