#!/usr/bin/env node

// Runs the compiled CLI; build the package first (dist/ is not in git).
require('../dist/cli/main.js')
  .run(process.argv.slice(2))
  .then((code) => {
    if (code !== 0) process.exitCode = code;
  });
