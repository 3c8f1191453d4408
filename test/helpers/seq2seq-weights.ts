/**
 * Seq2seq weights for tests of the exported graphs: the reference model's initial weights scaled up and
 * perturbed (biases and norms too), so that every parameter changes the outputs.
 */
import type { TransformerConfig } from '../../src/models/config.js';
import { buildSeq2Seq } from '../../src/models/seq2seq.js';
import { withWeights } from '../../src/models/weights.js';
import type { Model, Tensor } from '../../src/onnx/ir.js';
import { Rng } from '../../src/util/rng.js';

export function perturbedSeq2Seq(config: TransformerConfig): { reference: Model; bake: (m: Model) => Model } {
  const reference = buildSeq2Seq(config, { rng: Rng.seeded(7), head: 'logits', dropout: false });
  const rng = Rng.seeded(8);
  const weights = new Map<string, Tensor['data']>(
    reference.params.map(({ name }) => {
      const t = reference.model.graph.initializers.get(name)!;
      return [name, Float32Array.from(t.data as Float32Array, (v) => v * 20 + rng.normal() * 0.1)];
    }),
  );
  const bake = (m: Model) => withWeights(m, weights);
  return { reference: bake(reference.model), bake };
}
