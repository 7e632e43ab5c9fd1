import { describeEachDatabase } from '../../test/helpers/databases.ts';
import { runRegistryStoreContract } from './registry-store.contract.ts';
import { SqlRegistryStore } from './sql-registry-store.ts';

describeEachDatabase('SqlRegistryStore', (kind) => {
  runRegistryStoreContract(async () => {
    const test = await kind.create();
    return { db: test.db, storeOn: (q) => new SqlRegistryStore(q), drop: () => test.drop() };
  });
});
