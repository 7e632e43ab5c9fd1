import { describeEachDatabase } from '../../test/helpers/databases.ts';
import { SqlTuningStorage } from './sql-tuning-storage.ts';
import { runTuningStorageContract } from './tuning-storage.contract.ts';

describeEachDatabase('SqlTuningStorage', (kind) => {
  runTuningStorageContract(async () => {
    const test = await kind.create();
    return { storage: new SqlTuningStorage(test.db), drop: () => test.drop() };
  });
});
