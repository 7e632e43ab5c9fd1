import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { deriveSeed } from '../random/rng.ts';
import type { EchoIn, EchoOut } from './fixtures/echo-worker.ts';
import { resolveWorkerModule, runInWorker, startWorker } from './worker-thread.ts';

const echo = new URL('./fixtures/echo-worker.ts', import.meta.url);

describe('worker threads', () => {
  const dir = mkdtempSync(join(tmpdir(), 'movienight-worker-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs a TypeScript module that imports TypeScript, with typed messages and workerData', async () => {
    const out = await runInWorker<EchoIn, EchoOut>(
      echo,
      { kind: 'echo', text: 'abc' },
      { workerData: { n: 7 } },
    );
    expect(out).toEqual({ text: 'ABC', seed: deriveSeed(1, 'abc'), data: { n: 7 } });
  });

  it('keeps a long-lived worker answering many messages in order', async () => {
    const worker = startWorker<EchoIn, EchoOut>(echo);
    const replies: string[] = [];
    const done = new Promise<void>((resolve) =>
      worker.onMessage((m) => {
        replies.push(m.text);
        if (replies.length === 3) resolve();
      }),
    );
    for (const text of ['a', 'b', 'c']) worker.post({ kind: 'echo', text });
    await done;
    expect(replies).toEqual(['A', 'B', 'C']);
    await worker.terminate();
    expect(typeof (await worker.exited)).toBe('number');
  });

  it('reports an exception thrown in the worker', async () => {
    await expect(runInWorker<EchoIn, EchoOut>(echo, { kind: 'throw' })).rejects.toThrow('asked to throw');
  });

  it('falls back to the compiled .js beside a missing .ts (the dist layout) and runs it', async () => {
    const js = join(dir, 'plain-worker.js');
    writeFileSync(
      js,
      "import { parentPort } from 'node:worker_threads';\nparentPort.on('message', (m) => parentPort.postMessage(m * 2));\n",
    );
    const asTs = pathToFileURL(join(dir, 'plain-worker.ts'));
    expect(resolveWorkerModule(asTs)).toEqual({ url: pathToFileURL(js), typescript: false });
    expect(await runInWorker<number, number>(asTs, 21)).toBe(42);
  });

  it('names the missing file when neither .ts nor .js exists', () => {
    expect(() => resolveWorkerModule(pathToFileURL(join(dir, 'nope.ts')))).toThrow(/nope\.ts.*nope\.js/);
  });
});
