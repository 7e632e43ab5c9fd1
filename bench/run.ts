/**
 * `npm run bench [name…]`: runs the benchmarks (all, or those named) one after another in this one
 * process, each printing its figures. Benchmarks print; they never assert on time.
 */
export interface Benchmark {
  readonly name: string;
  readonly description: string;
  run(): Promise<void>;
}

const benchmarks: ReadonlyArray<() => Promise<Benchmark>> = [
  () => import('./models-speed.bench.ts').then((m) => m.benchmark),
  () => import('./ranking.bench.ts').then((m) => m.benchmark),
  () => import('./models-quality.bench.ts').then((m) => m.benchmark),
  () => import('./import.bench.ts').then((m) => m.benchmark),
  () => import('./tuning.bench.ts').then((m) => m.benchmark),
  () => import('./ab-tests.bench.ts').then((m) => m.benchmark),
  () => import('./http-load.bench.ts').then((m) => m.benchmark),
  () => import('./drift.bench.ts').then((m) => m.benchmark),
  () => import('./served-storage.bench.ts').then((m) => m.benchmark),
  () => import('./web-app.bench.ts').then((m) => m.benchmark),
  () => import('./serve-workers.bench.ts').then((m) => m.benchmark),
  () => import('./scale-out.bench.ts').then((m) => m.benchmark),
  () => import('./scale.bench.ts').then((m) => m.benchmark),
];

const wanted = process.argv.slice(2);
for (const load of benchmarks) {
  const bench = await load();
  if (wanted.length > 0 && !wanted.includes(bench.name)) continue;
  console.log(`\n=== ${bench.name}: ${bench.description} ===`);
  await bench.run();
}
