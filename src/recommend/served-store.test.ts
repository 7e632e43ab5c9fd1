import { describeEachDatabase } from '../../test/helpers/databases.ts';
import { runServedStoreContract } from './served-store.contract.ts';
import { SqlServedStore } from './served-store.ts';

describeEachDatabase('SqlServedStore', (kind) => {
  runServedStoreContract(
    (t) => new SqlServedStore(t.db),
    () => kind.create(),
  );
});
