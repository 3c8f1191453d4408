/** The test split of a run written out as the file `--eval-data` takes (compression reports, `tlc bench`). */
import { readRunConfig, type Task } from '../../run-folder/run-config.js';
import { taskForRun } from '../../tasks/index.js';

/** Writes `<base>.txt` or `<base>.tsv` from the run in `runDir`; returns the file and the run's task. */
export async function writeTestSplit(runDir: string, base: string): Promise<{ file: string; task: Task }> {
  const config = readRunConfig(runDir);
  const file = await taskForRun(config.task).training.writeTestSplit(config, base);
  return { file, task: config.task };
}
