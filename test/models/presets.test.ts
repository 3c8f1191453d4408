/** Presets span the paper's axes; the built graphs have the parameter counts the presets promise. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildMlmEncoder } from '../../src/models/encoder.js';
import { PRESETS, presetConfig } from '../../src/models/presets.js';
import { buildSeq2Seq } from '../../src/models/seq2seq.js';
import { Rng } from '../../src/util/rng.js';

function nonEmbedding(params: readonly { shape: readonly number[]; role: string }[]): number {
  return params
    .filter((p) => p.role !== 'embedding')
    .reduce((s, p) => s + p.shape.reduce((a, d) => a * d, 1), 0);
}

describe('presets', () => {
  it('span from under 1M to at least 25M non-embedding parameters, varying depth and width', (t) => {
    if (process.env.TLC_SKIP_LARGE_TESTS) return t.skip('TLC_SKIP_LARGE_TESTS is set (npm run test:fast)');
    const counts = new Map<string, number>();
    for (const p of PRESETS.filter((x) => x.name !== 'xlarge')) {
      const built = buildMlmEncoder(presetConfig(p.name, { vocabSize: 8000, maxLength: 128 }), {
        rng: Rng.seeded(1),
        head: 'logits',
        dropout: false,
      });
      counts.set(p.name, nonEmbedding(built.params));
      const promised = Number(/≈([\d.]+)M/.exec(p.description)![1]) * 1e6;
      assert.ok(
        Math.abs(counts.get(p.name)! - promised) / promised < 0.05,
        `${p.name}: ${counts.get(p.name)} vs ${promised}`,
      );
    }
    assert.ok(counts.get('tiny')! < 1e6);
    assert.ok(counts.get('large')! >= 25e6);
    const deep = PRESETS.find((p) => p.name === 'deep')!;
    const wide = PRESETS.find((p) => p.name === 'wide')!;
    assert.ok(deep.layers > wide.layers && deep.dModel < wide.dModel, 'deep and wide trade depth for width');
    assert.ok(
      Math.abs(counts.get('deep')! - counts.get('wide')!) / counts.get('deep')! < 0.05,
      'at about equal size',
    );
  });

  it('build an encoder-decoder with tied embeddings', () => {
    const config = presetConfig('tiny', { vocabSize: 1000, maxLength: 64 });
    const built = buildSeq2Seq(config, { rng: Rng.seeded(1), head: 'loss', dropout: true });
    const names = built.params.map((p) => p.name);
    assert.equal(
      names.filter((n) => n === 'embeddings.word').length,
      1,
      'one token embedding for source, target and output',
    );
    assert.ok(names.includes('encoder.layers.1.attn.qkv.weight'));
    assert.ok(names.includes('decoder.layers.1.cross.kv.weight'));
    assert.ok(built.dropoutSites.some((s) => s.shape.includes('target')));
    assert.ok(
      built.model.graph.nodes.some((n) => n.opType === 'Trilu'),
      'causal mask',
    );
  });

  it('rejects an unknown preset with the list of valid ones', () => {
    assert.throws(() => presetConfig('huge', { vocabSize: 10 }), {
      code: 'CONFIG_INVALID',
      message: /tiny, small/,
    });
  });
});
