import { defineJobKind } from './job-kind.ts';

/**
 * A job that does nothing but answer: what a round trip through the queue costs (enqueue, a
 * worker taking it, the result coming back), measured by the scale-out bench.
 */
export const echoJob = defineJobKind<{ readonly sent: number }, { readonly sent: number }>({
  name: 'echo',
  lane: 'trials',
  run: async (payload) => payload,
});
