import { describeEachDatabase } from '../../test/helpers/databases.ts';
import { runQualityStoreContract } from './quality-store.contract.ts';
import { SqlQualityStore } from './sql-quality-store.ts';

describeEachDatabase('SqlQualityStore', (kind) => {
  runQualityStoreContract(async () => {
    const test = await kind.create();
    return { db: test.db, storeOn: (q) => new SqlQualityStore(q), drop: () => test.drop() };
  });
});
