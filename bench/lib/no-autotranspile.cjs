// Preloaded into the benchmarked CLI (NODE_OPTIONS=--require): a *linked* plugin makes oclif register tsx and
// look for TypeScript sources on every plugin command (its development mode), which costs ~0.3-1 s and ~40 MB
// per push/delete. An installed plugin never pays that, so the benchmark switches it off the way oclif's own
// setting does, to measure what users of `sregistry plugins install` get.
globalThis.oclif = { ...(globalThis.oclif ?? {}), enableAutoTranspile: false };
