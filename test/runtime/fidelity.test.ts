/**
 * Checked where served: export-and-compress writes a fidelity probe (probe.json, a few KB) and each variant's
 * agreement with fp32 on it, with the CPU; the server runs the probe again at load. A variant whose file was
 * damaged after compression falls short and is degraded: /v1/models says why with the measured agreement, a
 * metric says so, variant=auto passes it over, and --refuse-degraded refuses it by name. (The same check on an
 * emulated AVX2 CPU with VNNI-only weights is in test/compress/quantize/emulated-avx2.test.ts.)
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { compress } from '../../src/compress/compress.js';
import { parseRecipe } from '../../src/compress/recipe.js';
import { PROBE_JSON, readProbeJson } from '../../src/model-folder/probe-json.js';
import { modelFolderTlc } from '../../src/model-folder/read.js';
import { DataType, loadModel, saveModel } from '../../src/onnx/index.js';
import { type RunningServer, startServer } from '../../src/server/server.js';
import { cpuFacts } from '../../src/util/cpu.js';
import { BERT_CONFIG, TORCH_BERT, writeForeignFolder } from '../helpers/foreign.js';

const dir = mkdtempSync(join(tmpdir(), 'tlc-fidelity-'));
const models = join(dir, 'models');
const servers: RunningServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Flips bit 6 of every code of the variant's largest int8 weight: bit rot in the weight data. */
function damage(file: string): void {
  const model = loadModel(file);
  const largest = [...model.graph.initializers.values()]
    .filter((t) => t.dataType === DataType.INT8)
    .sort((a, b) => b.data.length - a.data.length)[0]!;
  const codes = largest.data as Int8Array;
  for (let i = 0; i < codes.length; i++) codes[i] = codes[i]! ^ 0x40;
  saveModel(model, file);
}

interface VariantView {
  name: string;
  status?: string;
  degraded_reason: string;
  loaded: boolean;
  probe: { agreement: number; compressed_agreement: number; tolerance: number };
}
interface ModelsBody {
  models: { name: string; variants: VariantView[] }[];
}

async function modelsOf(server: RunningServer, name: string): Promise<VariantView[]> {
  const body = (await (await fetch(`${server.url}/v1/models`)).json()) as ModelsBody;
  return body.models.find((m) => m.name === name)!.variants;
}

async function serve(refuseDegraded: boolean): Promise<RunningServer> {
  const s = await startServer({
    modelsDir: models,
    port: 0,
    host: '127.0.0.1',
    threads: 1,
    log: () => {},
    refuseDegraded,
    processMetrics: false,
  });
  servers.push(s);
  return s;
}

before(async () => {
  const source = writeForeignFolder(join(dir, 'bert'), TORCH_BERT, { config: BERT_CONFIG, tokenizer: 1000 });
  mkdirSync(models);
  await compress(source, join(models, 'sound'), {
    recipes: [parseRecipe('int8'), parseRecipe('q4')],
    latency: false,
    threads: 1,
    batch: 2,
    sequence: 16,
  });
  cpSync(join(models, 'sound'), join(models, 'damaged'), { recursive: true });
  damage(join(models, 'damaged', modelFolderTlc(join(models, 'damaged')).variants[1]!.files[0]!));
});

describe('the fidelity probe at compression', () => {
  it('writes a probe of a few KB and each variant’s agreement with the CPU that measured it', () => {
    const folder = join(models, 'sound');
    assert.ok(statSync(join(folder, PROBE_JSON)).size < 8192);
    const probe = readProbeJson(folder)!;
    assert.equal(probe.files.length, 1);
    assert.equal(probe.files[0]!.output, 'logits');
    assert.equal(probe.files[0]!.top1.length, 8 * 16);
    const tlc = modelFolderTlc(folder);
    const [fp32, int8, q4] = tlc.variants;
    assert.equal(fp32!.check!.agreement, 1, 'fp32 is its own reference');
    assert.ok(int8!.check!.agreement >= 0.9 && int8!.check!.agreement <= 1, `int8 ${int8!.check!.agreement}`);
    assert.ok(q4!.check!.agreement >= 0.5, `q4 ${q4!.check!.agreement}`);
    assert.ok(int8!.check!.cpu.startsWith(cpuFacts().model));
    const report = JSON.parse(readFileSync(join(folder, 'report.json'), 'utf8'));
    assert.equal(report.dir, undefined, 'report.json names no (staging) path');
    assert.equal(report.cpu.model, cpuFacts().model);
    assert.deepEqual(report.cpu.features, cpuFacts().features);
  });
});

describe('the fidelity probe at load', () => {
  let server: RunningServer;
  before(async () => {
    server = await serve(false);
  });

  it('a sound folder measures here what it measured where it was compressed', async () => {
    const sound = { variants: await modelsOf(server, 'sound') };
    const tlc = modelFolderTlc(join(models, 'sound'));
    for (const [i, v] of sound.variants.entries()) {
      assert.equal(v.status, undefined, `${v.name} is not degraded`);
      assert.equal(v.probe.agreement, tlc.variants[i]!.check!.agreement, 'same machine, same kernels');
    }
  });

  it('a damaged variant is degraded with its measured agreement, in /v1/models and /metrics', async () => {
    const [fp32, int8, q4] = (await modelsOf(server, 'damaged')) as [VariantView, VariantView, VariantView];
    assert.equal(fp32.status, undefined);
    assert.equal(q4.status, undefined);
    assert.equal(int8.status, 'degraded');
    assert.ok(int8.probe.agreement < int8.probe.compressed_agreement - int8.probe.tolerance);
    assert.match(int8.degraded_reason, /agrees with fp32 on \d+\.\d% of the probe here/);
    assert.equal(int8.loaded, true, 'a degraded variant still loads');
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /tlc_variant_degraded\{model="damaged",variant="int8",[^}]*\} 1/);
    assert.match(metrics, /tlc_variant_degraded\{model="damaged",variant="q4",[^}]*\} 0/);
    assert.match(metrics, /tlc_variant_probe_agreement_ratio\{model="damaged",variant="int8",[^}]*\} 0\.\d+/);
  });

  it('variant=auto passes a degraded variant over; naming it still answers without --refuse-degraded', async () => {
    const ask = (query: string) =>
      fetch(`${server.url}/v1/models/damaged/fill-mask?${query}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ inputs: 'hello [MASK] world' }),
      });
    // The smallest variant within any budget is chosen under an impossible one: q4, never the degraded int8.
    for (const budget of ['0.000001', '1000000']) {
      const res = await ask(`variant=auto&latency_budget_ms=${budget}`);
      assert.equal(res.status, 200);
      assert.notEqual(res.headers.get('x-tlc-variant'), 'int8');
    }
    const named = await ask('variant=int8');
    assert.equal(named.status, 200);
    assert.equal(named.headers.get('x-tlc-variant'), 'int8');
  });

  it('--refuse-degraded answers 409 VARIANT_DEGRADED for it by name', async () => {
    const strict = await serve(true);
    const res = await fetch(`${strict.url}/v1/models/damaged/fill-mask?variant=int8`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: 'hello [MASK] world' }),
    });
    assert.equal(res.status, 409);
    const body = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'VARIANT_DEGRADED');
    assert.match(body.error.message, /variant=auto/);
  });
});
