import { describe } from 'vitest';
import { MemoryTuningStorage } from './memory-tuning-storage.ts';
import { runTuningStorageContract } from './tuning-storage.contract.ts';

describe('MemoryTuningStorage', () => {
  runTuningStorageContract(async () => ({ storage: new MemoryTuningStorage(), drop: async () => {} }));
});
