import { z } from 'zod';
import { currentSchemaVersion } from '../../db/migrate.ts';
import { type AnyRoute, defineRoute } from '../route-spec.ts';

const tables = [
  'movies',
  'users',
  'ratings',
  'accounts',
  'model_versions',
  'served_recommendations',
] as const;

export const adminStatusRoutes: readonly AnyRoute[] = [
  defineRoute({
    method: 'get',
    path: '/api/admin/status',
    tag: 'admin',
    summary: 'Database, schema version and row counts',
    access: 'admin',
    response: z.object({
      database: z.string(),
      location: z.string(),
      schemaVersion: z.number(),
      counts: z.record(z.string(), z.number()),
    }),
    async handler({ server }) {
      const counts: Record<string, number> = {};
      for (const table of tables) {
        const row = await server.db.get<{ n: number | string }>(`SELECT COUNT(*) AS n FROM ${table}`);
        counts[table] = Number(row?.n ?? 0);
      }
      return {
        database: server.db.dialect,
        location: server.db.location,
        schemaVersion: await currentSchemaVersion(server.db),
        counts,
      };
    },
  }),
];
