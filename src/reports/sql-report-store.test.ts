import { describeEachDatabase } from '../../test/helpers/databases.ts';
import { runReportStoreContract } from './report-store.contract.ts';
import { SqlReportStore } from './sql-report-store.ts';

describeEachDatabase('SqlReportStore', (kind) => {
  runReportStoreContract(async () => {
    const test = await kind.create();
    return { db: test.db, storeOn: (q) => new SqlReportStore(q), drop: () => test.drop() };
  });
});
