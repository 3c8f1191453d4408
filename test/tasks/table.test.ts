/** The task table: one row per task of the folder format, looked up by folder and by `tlc train` name. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MODEL_TASKS } from '../../src/model-folder/tlc-json.js';
import { RUN_TASK_NAMES } from '../../src/run-folder/run-config.js';
import { RUN_TASKS, TASKS, taskForRun, taskSpec } from '../../src/tasks/index.js';

describe('task table', () => {
  it('has a row for every model-folder task and every tlc train task, each naming itself', () => {
    assert.deepEqual(Object.keys(TASKS).sort(), [...MODEL_TASKS].sort());
    for (const name of MODEL_TASKS) assert.equal(taskSpec(name).name, name);
    assert.deepEqual([...RUN_TASKS].sort(), [...RUN_TASK_NAMES].sort());
    assert.equal(taskForRun('mlm').name, 'fill-mask');
    assert.equal(taskForRun('translation').name, 'translation');
    assert.ok(Object.isFrozen(TASKS));
  });

  it('gives each served task its own route and v2 output', () => {
    const routes = Object.values(TASKS).map((t) => t.serving.route);
    const outputs = Object.values(TASKS).map((t) => t.serving.v2Output);
    assert.equal(new Set(routes).size, routes.length);
    assert.equal(new Set(outputs).size, outputs.length);
  });

  it('refuses unknown tasks with coded errors that list the known ones', () => {
    assert.throws(() => taskSpec('text-generation', 'models/x'), {
      code: 'MODEL_INVALID',
      message:
        /models\/x: unknown task "text-generation"; TLC knows fill-mask, translation, text-classification, feature-extraction/,
    });
    assert.throws(() => taskSpec('constructor'), { code: 'MODEL_INVALID' });
    assert.throws(() => taskForRun('poetry'), {
      code: 'CLI_USAGE',
      message: /--task must be one of mlm, translation, classify; got "poetry"/,
    });
    // A served task's name is not its run task's name.
    assert.throws(() => taskForRun('text-classification'), { code: 'CLI_USAGE' });
  });
});
