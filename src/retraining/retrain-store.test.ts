import { describeEachDatabase } from '../../test/helpers/databases.ts';
import { runRetrainStoreContract } from './retrain-store.contract.ts';
import { SqlRetrainStore } from './retrain-store.ts';

describeEachDatabase('SqlRetrainStore', (kind) => {
  runRetrainStoreContract(async () => {
    const test = await kind.create();
    return { store: new SqlRetrainStore(test.db), drop: () => test.drop() };
  });
});
