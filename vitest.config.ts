import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: more forks than that only makes every test slower.
    maxWorkers: 2,
    globalSetup: ['test/global-setup.ts'],
  },
});
