import { describeEachDatabase } from '../../test/helpers/databases.ts';
import { runCatalogStoreContract } from './catalog-store.contract.ts';
import { SqlCatalogStore } from './catalog-store.ts';

describeEachDatabase('SqlCatalogStore', (kind) => {
  runCatalogStoreContract(
    (t) => new SqlCatalogStore(t.db),
    () => kind.create(),
  );
});
