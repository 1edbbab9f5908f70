#!/usr/bin/env node
// The `crypto-ingest` command: runs the TypeScript CLI through tsx (one process, no build step).
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
