/**
 * One set of parameter ranges for both APIs: openapi.yaml's v1 bodies state exactly the task table's schemas,
 * and checkParameters (the v2 path) refuses what v1 refuses, naming the parameter.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { TASKS } from '../../src/tasks/index.js';
import { checkParameters } from '../../src/tasks/parameters.js';

const ROOT = join(import.meta.dirname, '..', '..');
interface Doc {
  paths: Record<
    string,
    { post: { requestBody: { content: { 'application/json': { schema: { $ref: string } } } } } }
  >;
  components: {
    schemas: Record<
      string,
      { properties: { parameters: { properties: object; additionalProperties: boolean } } }
    >;
  };
}
const doc = parse(readFileSync(join(ROOT, 'openapi.yaml'), 'utf8')) as Doc;

describe('request parameters', () => {
  for (const spec of Object.values(TASKS)) {
    it(`${spec.name}: openapi.yaml's v1 body takes exactly the task's parameters`, () => {
      const ref =
        doc.paths[`/v1/models/{model}/${spec.serving.route}`]!.post.requestBody.content['application/json']
          .schema.$ref;
      const schema = doc.components.schemas[ref.split('/').at(-1)!]!;
      assert.deepEqual(schema.properties.parameters.properties, spec.serving.parameters.properties);
      assert.equal(schema.properties.parameters.additionalProperties, false);
    });
  }

  it('refuses out-of-range and mistyped values with REQUEST_INVALID naming the parameter', () => {
    const fillMask = TASKS['fill-mask'].serving;
    const translation = TASKS.translation.serving;
    for (const [spec, p, name] of [
      [fillMask, { top_k: 1_000_000_000 }, 'top_k'],
      [fillMask, { top_k: 'abc' }, 'top_k'],
      [fillMask, { top_k: 2.5 }, 'top_k'],
      [translation, { num_beams: 0 }, 'num_beams'],
      [translation, { num_beams: 1000 }, 'num_beams'],
      [translation, { max_new_tokens: -1 }, 'max_new_tokens'],
      [translation, { truncation: 'yes' }, 'truncation'],
    ] as const) {
      assert.throws(
        () => checkParameters(spec, p),
        (e: Error & { code?: string }) => e.code === 'REQUEST_INVALID' && e.message.includes(name),
        JSON.stringify(p),
      );
    }
  });

  it('passes valid values and keys that are not the task’s', () => {
    checkParameters(TASKS['fill-mask'].serving, { top_k: 100, truncation: true, binary_data_output: false });
    checkParameters(TASKS.translation.serving, { num_beams: 8, max_new_tokens: 512, length_penalty: 0.5 });
  });
});
