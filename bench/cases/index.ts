import type { BenchCase } from '../CaseResult.js';
import { avroScan } from './avroScan.js';
import { barrierOverhead } from './barrierOverhead.js';
import { bigCsvMemory } from './bigCsvMemory.js';
import { cliCheckpoints } from './cliCheckpoints.js';
import { cliRun } from './cliRun.js';
import { csvScan } from './csvScan.js';
import { debeziumTable } from './debeziumTable.js';
import { kafkaConsume } from './kafkaConsume.js';
import { manyFiles } from './manyFiles.js';
import { ndjsonScan } from './ndjsonScan.js';
import { parallelDecode } from './parallelDecode.js';
import { postgresCdc } from './postgresCdc.js';
import { pulsarConsume } from './pulsarConsume.js';
import { registryAvro } from './registryAvro.js';
import { resumeManySplits } from './resumeManySplits.js';

/** Every case, in the order the table shows them. */
export const ALL_CASES: readonly BenchCase[] = [csvScan, ndjsonScan, avroScan, barrierOverhead, kafkaConsume, pulsarConsume, bigCsvMemory, manyFiles, resumeManySplits, cliRun, cliCheckpoints, debeziumTable, postgresCdc, parallelDecode, registryAvro];
