// import() for the oclif bundle (scripts/bundle-oclif.js). It lives in its own small file because Node 20 drops the
// import() callback of code that comes from the compile cache (bin/compile-cache.js), which leaves this file alone.
module.exports = (specifier) => import(specifier);
