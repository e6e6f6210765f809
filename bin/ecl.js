#!/usr/bin/env node
// The compiled CLI (`npm run build` emits dist/; `npm install` in a checkout runs it through `prepare`).
await import('../dist/cli/main.js');
