import { z } from 'zod';
import { countTableRows, currentSchemaVersion } from '../../db/migrate.ts';
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
    operationId: 'getAdminStatus',
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
      const counts = await countTableRows(server.db, tables);
      return {
        database: server.db.dialect,
        location: server.db.location,
        schemaVersion: await currentSchemaVersion(server.db),
        counts,
      };
    },
  }),
];
