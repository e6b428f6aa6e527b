// Types of run.mjs and differences.mjs for the TypeScript tests.
export interface TestRecord {
  key: string;
  file: string;
  name: string;
  ok: boolean;
  skip: boolean;
  todo: boolean;
  suite: boolean;
  failureType: string | null;
  error: string | null;
}
export const piscinaDir: string;
export const piscinaVersion: string;
export function prepare(variant: 'raw' | 'taskpool'): string;
export function testFiles(root: string): string[];
export function runVariant(
  root: string,
  options?: { files?: string[]; forceExit?: string[]; concurrency?: number; timeoutMs?: number },
): Promise<TestRecord[]>;
export function passed(records: TestRecord[]): Set<string>;
export function counts(records: TestRecord[]): { tests: number; passed: number; failed: number; skipped: number };
export function compareVariants(options?: { concurrency?: number; timeoutMs?: number }): Promise<{
  raw: TestRecord[];
  taskpool: TestRecord[];
  /** Tests that passed on TaskPool, those that passed when run again included. */
  taskpoolPassed: Set<string>;
  regressions: string[];
  rerun: string[];
  differences: { file: string; name: string; reason: string }[];
}>;
