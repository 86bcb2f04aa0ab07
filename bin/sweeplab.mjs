#!/usr/bin/env node
// Runs the TypeScript CLI in this process: tsx compiles on the fly (no build step to forget).
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
