import { api } from '../api.ts';
import type { QueueState } from '../api-types.ts';
import { h } from '../dom.ts';
import { formatDateTime } from '../format.ts';
import { loaded, section, table } from './admin-common.ts';

/** A job's BullMQ progress in words: a percentage and the step it is at, when it reports them. */
function progressText(progress: unknown): string {
  if (typeof progress === 'number') return `${progress} %`;
  if (progress && typeof progress === 'object') {
    const p = progress as { percent?: unknown; step?: unknown };
    const parts = [
      typeof p.percent === 'number' ? `${p.percent} %` : null,
      typeof p.step === 'string' ? p.step : null,
    ];
    return parts.filter((x) => x !== null).join(' · ') || '–';
  }
  return '–';
}

/** The job queue, when the server has one: its jobs with their progress, and a link to bull-board. */
export function queueSection(): HTMLElement {
  return section(
    'queue',
    'Job queue',
    loaded(
      'the job queue',
      () => api<QueueState>('GET', '/api/admin/queue'),
      (q) => {
        if (!q.queue || !q.board)
          return [h('p', {}, 'No job queue: retrains and tuning trials run in this server’s own threads.')];
        return [
          h(
            'p',
            {},
            `Jobs go to ${q.queue}; any \`movienight worker\` on it takes them. `,
            h('a', { href: `${q.board}` }, 'Open the queue board (bull-board)'),
          ),
          q.jobs.length === 0
            ? h('p', {}, 'No job is running or waiting.')
            : table(
                'Jobs running or waiting',
                ['job', 'queue', 'state', 'progress', 'started'],
                q.jobs.map((j) => [
                  `${j.name} ${j.id}`,
                  j.lane,
                  j.state,
                  progressText(j.progress),
                  j.startedAt === null ? '–' : formatDateTime(j.startedAt),
                ]),
              ),
        ];
      },
    ),
  );
}
