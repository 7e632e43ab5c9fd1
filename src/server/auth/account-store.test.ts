import { describeEachDatabase } from '../../../test/helpers/databases.ts';
import { runAccountStoreContract } from './account-store.contract.ts';
import { SqlAccountStore } from './account-store.ts';

describeEachDatabase('SqlAccountStore', (kind) => {
  runAccountStoreContract(
    (t) => new SqlAccountStore(t.db),
    () => kind.create(),
  );
});
