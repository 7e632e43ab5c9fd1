import { describeEachDatabase } from '../../test/helpers/databases.ts';
import { runAbStoreContract } from './ab-store.contract.ts';
import { SqlAbStore } from './sql-ab-store.ts';

describeEachDatabase('SqlAbStore', (kind) => {
  runAbStoreContract(async () => {
    const test = await kind.create();
    return { db: test.db, storeOn: (q) => new SqlAbStore(q), drop: () => test.drop() };
  });
});
