/**
 * Packaging and deployment files: the Kubernetes and KServe manifests, the Grafana dashboard and the Dockerfile
 * agree with the server's routes, port, environment and metric names. Docker and a cluster are not needed: the
 * files are parsed and their key fields checked.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { parseAllDocuments } from 'yaml';
import { ServerMetrics } from '../../src/server/metrics.js';

const ROOT = join(import.meta.dirname, '..', '..');
const PORT = 8080;
const LIVE = '/v2/health/live';
const READY = '/v2/health/ready';
/** The environment `tlc serve` reads: each name must appear as `env.NAME` in the serve command. */
const SERVER_ENV = new Set(
  [...read('src/cli/commands/serve.ts').matchAll(/\benv\.([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]!),
);

/** The server's own metrics, read from the metrics module: histograms, and counters and gauges. */
const SERVER_METRICS = await new ServerMetrics({ processMetrics: false }).registry.getMetricsAsJSON();
const HISTOGRAMS = SERVER_METRICS.filter((m) => String(m.type) === 'histogram').map((m) => m.name);
const COUNTERS_AND_GAUGES = SERVER_METRICS.filter((m) => String(m.type) !== 'histogram').map((m) => m.name);

type Obj = Record<string, unknown>;

function read(path: string): string {
  return readFileSync(join(ROOT, path), 'utf8');
}

function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value at a dotted path (array indices as numbers), or undefined. */
function at(value: unknown, path: string): unknown {
  let current = value;
  for (const key of path.split('.')) {
    if (Array.isArray(current)) current = current[Number(key)];
    else if (isObj(current)) current = current[key];
    else return undefined;
  }
  return current;
}

function objAt(value: unknown, path: string): Obj {
  const found = at(value, path);
  assert.ok(isObj(found), `${path} is an object`);
  return found;
}

function listAt(value: unknown, path: string): unknown[] {
  const found = at(value, path);
  assert.ok(Array.isArray(found), `${path} is a list`);
  return found;
}

function filesUnder(dir: string, extensions: readonly string[]): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(path, extensions));
    else if (extensions.some((ext) => entry.name.endsWith(ext))) out.push(path);
  }
  return out.sort();
}

interface Manifest {
  file: string;
  kind: string;
  name: string;
  doc: Obj;
}

function loadManifests(): Manifest[] {
  const manifests: Manifest[] = [];
  for (const file of filesUnder('deploy', ['.yaml', '.yml'])) {
    for (const parsed of parseAllDocuments(read(file))) {
      assert.deepEqual(
        parsed.errors.map((e) => e.message),
        [],
        `${file} parses`,
      );
      const doc: unknown = parsed.toJS();
      if (doc === null || doc === undefined) continue;
      assert.ok(isObj(doc), `${file}: a document is a mapping`);
      assert.equal(typeof doc.apiVersion, 'string', `${file}: apiVersion`);
      assert.equal(typeof doc.kind, 'string', `${file}: kind`);
      const name = at(doc, 'metadata.name');
      assert.equal(typeof name, 'string', `${file}: metadata.name`);
      manifests.push({
        file: relative(ROOT, join(ROOT, file)),
        kind: String(doc.kind),
        name: String(name),
        doc,
      });
    }
  }
  return manifests;
}

function one(manifests: readonly Manifest[], kinds: readonly string[]): Manifest {
  const found = manifests.filter((m) => kinds.includes(m.kind));
  assert.equal(found.length, 1, `exactly one of ${kinds.join(' / ')} under deploy/`);
  return found[0]!;
}

/** A probe's or service's port (number or name) resolved against a container's ports. */
function resolvePort(port: unknown, container: Obj): number | undefined {
  if (typeof port === 'number') return port;
  const named = listAt(container, 'ports').find((p) => at(p, 'name') === port);
  const number = at(named, 'containerPort');
  return typeof number === 'number' ? number : undefined;
}

function envNamed(container: Obj, name: string): Obj | undefined {
  const env = at(container, 'env');
  return Array.isArray(env) ? env.filter(isObj).find((e) => e.name === name) : undefined;
}

/** Checks a serving container: port 8080, probes on the health routes, only the server's env variables. */
function checkServingContainer(container: Obj, where: string): void {
  const ports = listAt(container, 'ports').map((p) => at(p, 'containerPort'));
  assert.deepEqual(ports, [PORT], `${where}: container port`);
  assert.equal(at(container, 'readinessProbe.httpGet.path'), READY, `${where}: readiness probe`);
  assert.equal(at(container, 'livenessProbe.httpGet.path'), LIVE, `${where}: liveness probe`);
  if (at(container, 'startupProbe') !== undefined)
    assert.equal(at(container, 'startupProbe.httpGet.path'), LIVE, `${where}: startup probe`);
  for (const probe of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
    if (at(container, probe) === undefined) continue;
    assert.equal(
      resolvePort(at(container, `${probe}.httpGet.port`), container),
      PORT,
      `${where}: ${probe} port`,
    );
  }
  for (const entry of (at(container, 'env') ?? []) as unknown[])
    assert.ok(
      SERVER_ENV.has(String(at(entry, 'name'))),
      `${where}: unknown env ${String(at(entry, 'name'))}`,
    );
  const port = envNamed(container, 'PORT');
  if (port) assert.equal(port.value, String(PORT), `${where}: PORT`);
  const args = at(container, 'args');
  if (Array.isArray(args)) {
    const i = args.indexOf('--port');
    if (i >= 0) assert.equal(args[i + 1], String(PORT), `${where}: --port`);
  }
  // The intra-op thread budget follows this container's CPU limit.
  const threads = envNamed(container, 'TLC_THREADS');
  assert.ok(threads, `${where}: TLC_THREADS is set`);
  assert.equal(at(threads, 'valueFrom.resourceFieldRef.resource'), 'limits.cpu', `${where}: TLC_THREADS`);
  assert.equal(
    at(threads, 'valueFrom.resourceFieldRef.containerName'),
    container.name,
    `${where}: TLC_THREADS`,
  );
  assert.ok(at(container, 'resources.limits.cpu') !== undefined, `${where}: CPU limit`);
  assert.ok(at(container, 'resources.requests.memory') !== undefined, `${where}: memory request`);
  assert.ok(at(container, 'resources.limits.memory') !== undefined, `${where}: memory limit`);
}

describe('Kubernetes manifests', () => {
  const manifests = loadManifests();
  const deployment = one(manifests, ['Deployment']);
  const pod = objAt(deployment.doc, 'spec.template');
  const containers = listAt(pod, 'spec.containers').filter(isObj);
  const container = containers.find((c) => c.name === 'tlc') ?? containers[0]!;

  it('every YAML file under deploy/ parses, with apiVersion, kind and name', () => {
    assert.ok(manifests.length >= 5, `found ${manifests.map((m) => `${m.kind} ${m.file}`).join(', ')}`);
  });

  it('Deployment: port 8080, probes on the health routes, threads = CPU limit, non-root', () => {
    assert.equal(deployment.doc.apiVersion, 'apps/v1');
    checkServingContainer(container, 'Deployment');
    assert.equal(at(container, 'ports.0.name'), 'http');
    assert.deepEqual(at(container, 'args') ?? ['node', 'dist/cli/tlc.js', 'serve'], [
      'node',
      'dist/cli/tlc.js',
      'serve',
    ]);
    assert.equal(at(pod, 'spec.securityContext.runAsNonRoot'), true);
    const grace = at(pod, 'spec.terminationGracePeriodSeconds');
    assert.ok(typeof grace === 'number' && grace >= 30, 'terminationGracePeriodSeconds leaves time to drain');
    const selector = objAt(deployment.doc, 'spec.selector.matchLabels');
    const labels = objAt(pod, 'metadata.labels');
    for (const [key, value] of Object.entries(selector)) assert.equal(labels[key], value, `pod label ${key}`);
  });

  it('Deployment: Prometheus scrape annotations point at /metrics on 8080', () => {
    const annotations = objAt(pod, 'metadata.annotations');
    assert.equal(annotations['prometheus.io/scrape'], 'true');
    assert.equal(annotations['prometheus.io/port'], String(PORT));
    assert.equal(annotations['prometheus.io/path'], '/metrics');
  });

  it('Service selects the Deployment pods and targets port 8080', () => {
    const service = one(manifests, ['Service']);
    const labels = objAt(pod, 'metadata.labels');
    const selector = objAt(service.doc, 'spec.selector');
    for (const [key, value] of Object.entries(selector)) assert.equal(labels[key], value, `selector ${key}`);
    const ports = listAt(service.doc, 'spec.ports');
    assert.ok(ports.length > 0);
    for (const port of ports) assert.equal(resolvePort(at(port, 'targetPort'), container), PORT);
  });

  it('HPA (autoscaling/v2) scales the Deployment on CPU, with the queue-depth metric as an example', () => {
    const hpa = one(manifests, ['HorizontalPodAutoscaler']);
    assert.equal(hpa.doc.apiVersion, 'autoscaling/v2');
    assert.deepEqual(objAt(hpa.doc, 'spec.scaleTargetRef'), {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: deployment.name,
    });
    const min = at(hpa.doc, 'spec.minReplicas');
    const max = at(hpa.doc, 'spec.maxReplicas');
    assert.ok(typeof min === 'number' && typeof max === 'number' && min >= 1 && min <= max);
    const metrics = listAt(hpa.doc, 'spec.metrics');
    assert.ok(metrics.some((m) => at(m, 'type') === 'Resource' && at(m, 'resource.name') === 'cpu'));
    // The custom-metric example is a comment; it must name the server's gauge.
    assert.match(read(hpa.file), /#\s+name: tlc_queue_depth/);
  });

  it('KServe: a v2 serving runtime on the same image, and an InferenceService that uses it', () => {
    const runtime = one(manifests, ['ClusterServingRuntime', 'ServingRuntime']);
    assert.equal(runtime.doc.apiVersion, 'serving.kserve.io/v1alpha1');
    assert.ok(listAt(runtime.doc, 'spec.protocolVersions').includes('v2'));
    const serving = listAt(runtime.doc, 'spec.containers').filter(isObj);
    const kserveContainer = serving.find((c) => c.name === 'kserve-container');
    assert.ok(kserveContainer, 'the runtime container is named kserve-container');
    checkServingContainer(kserveContainer, runtime.kind);
    assert.equal(kserveContainer.image, container.image, 'same image as the Deployment');
    const annotations = objAt(runtime.doc, 'spec.annotations');
    assert.equal(annotations['prometheus.kserve.io/port'], String(PORT));
    assert.equal(annotations['prometheus.kserve.io/path'], '/metrics');

    const isvc = one(manifests, ['InferenceService']);
    assert.equal(isvc.doc.apiVersion, 'serving.kserve.io/v1beta1');
    const model = objAt(isvc.doc, 'spec.predictor.model');
    assert.equal(model.runtime, runtime.name);
    assert.equal(model.protocolVersion, 'v2');
    const formats = listAt(runtime.doc, 'spec.supportedModelFormats').map((f) => at(f, 'name'));
    assert.ok(
      formats.includes(at(model, 'modelFormat.name')),
      'the model format is one the runtime supports',
    );
    assert.equal(typeof model.storageUri, 'string');
  });
});

/** Metric names a PromQL expression reads (functions, keywords, labels, strings and variables left out). */
function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\b\d+(?:\.\d+)?(?:e[+-]?\d+)?\b/gi, ' ');
  const keywords = new Set(['by', 'without', 'on', 'ignoring', 'bool', 'and', 'or', 'unless', 'offset']);
  const names: string[] = [];
  for (const match of stripped.matchAll(/\$?[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const word = match[0];
    if (word.startsWith('$') || keywords.has(word)) continue;
    const rest = stripped.slice(match.index + word.length).trimStart();
    if (rest.startsWith('(')) continue; // a function or an aggregation
    names.push(word);
  }
  return names;
}

async function knownMetricNames(): Promise<Set<string>> {
  const known = new Set<string>(COUNTERS_AND_GAUGES);
  for (const name of HISTOGRAMS) for (const suffix of ['_bucket', '_sum', '_count']) known.add(name + suffix);
  // prom-client's default process and Node.js metrics, as the server registers them.
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  for (const metric of await registry.getMetricsAsJSON()) {
    known.add(metric.name);
    if (String(metric.type) === 'histogram')
      for (const suffix of ['_bucket', '_sum', '_count']) known.add(metric.name + suffix);
  }
  registry.clear();
  return known;
}

function allPanels(panels: unknown): Obj[] {
  if (!Array.isArray(panels)) return [];
  return panels.filter(isObj).flatMap((p) => [p, ...allPanels(p.panels)]);
}

describe('Grafana dashboard', () => {
  const dashboard: unknown = JSON.parse(read('deploy/grafana/tlc.json'));
  const panels = allPanels(at(dashboard, 'panels'));
  const queryPanels = panels.filter((p) => p.type !== 'row');
  const exprs = queryPanels.flatMap((p) => listAt(p, 'targets').map((t) => String(at(t, 'expr'))));

  it('is importable: schemaVersion >= 36, a DS_PROMETHEUS input used by every panel, unique panel ids', () => {
    const version = at(dashboard, 'schemaVersion');
    assert.ok(typeof version === 'number' && version >= 36, `schemaVersion ${String(version)}`);
    const inputs = listAt(dashboard, '__inputs');
    assert.ok(inputs.some((i) => at(i, 'name') === 'DS_PROMETHEUS' && at(i, 'pluginId') === 'prometheus'));
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's import placeholder, not a template literal
    const datasource = { type: 'prometheus', uid: '${DS_PROMETHEUS}' };
    for (const panel of queryPanels) {
      assert.deepEqual(panel.datasource, datasource, `panel ${String(panel.title)}`);
      for (const target of listAt(panel, 'targets')) assert.deepEqual(at(target, 'datasource'), datasource);
    }
    const ids = panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, 'panel ids are unique');
    assert.ok(exprs.length >= 10);
  });

  it('has model and variant template variables', () => {
    const variables = listAt(dashboard, 'templating.list');
    for (const name of ['model', 'variant']) {
      const variable = variables.find((v) => at(v, 'name') === name);
      assert.ok(variable, `variable ${name}`);
      assert.match(String(at(variable, 'definition')), new RegExp(`label_values\\(tlc_\\w+.*, ${name}\\)`));
    }
  });

  it('reads only metrics the server exports (its own or prom-client defaults)', async () => {
    const known = await knownMetricNames();
    for (const expr of exprs) {
      const names = metricNames(expr);
      assert.ok(names.length > 0, `no metric found in ${expr}`);
      for (const name of names) assert.ok(known.has(name), `unknown metric ${name} in ${expr}`);
    }
  });

  it('plots every histogram of the server, and filters every TLC series by model and variant', () => {
    const used = new Set(exprs.flatMap(metricNames));
    for (const name of HISTOGRAMS) assert.ok(used.has(`${name}_bucket`), `no panel reads ${name}`);
    for (const name of COUNTERS_AND_GAUGES) assert.ok(used.has(name), `no panel reads ${name}`);
    for (const expr of exprs)
      for (const match of expr.matchAll(/\btlc_\w+\{([^}]*)\}/g)) {
        assert.match(match[1]!, /model=~"\$model"/, expr);
        assert.match(match[1]!, /variant=~"\$variant"/, expr);
      }
  });

  it('shows request latency p50/p90/p99, error rate, queue and inference p90, batch size and event-loop lag', () => {
    const has = (re: RegExp) => exprs.some((e) => re.test(e));
    for (const q of ['0.5', '0.9', '0.99'])
      assert.ok(has(new RegExp(`histogram_quantile\\(${q}, .*tlc_request_duration_seconds_bucket`)), `p${q}`);
    assert.ok(has(/tlc_requests_total\{[^}]*status=~"4\.\.\|5\.\."/), 'error rate');
    assert.ok(has(/histogram_quantile\(0\.9, .*tlc_queue_duration_seconds_bucket/), 'queue p90');
    assert.ok(has(/histogram_quantile\(0\.9, .*tlc_inference_duration_seconds_bucket/), 'inference p90');
    assert.ok(has(/tlc_batch_size_sum.*\/.*tlc_batch_size_count/), 'average batch size');
    assert.ok(has(/histogram_quantile\(0\.9, .*tlc_batch_size_bucket/), 'p90 batch size');
    assert.ok(has(/nodejs_eventloop_lag/), 'event-loop lag');
  });
});

interface Instruction {
  keyword: string;
  args: string;
}

interface Stage {
  from: string;
  name: string | undefined;
  instructions: Instruction[];
}

/** Dockerfile instructions by stage; ARGs declared before the first FROM are substituted into FROM. */
function parseDockerfile(text: string): Stage[] {
  const logical: string[] = [];
  let pending = '';
  for (const line of text.split('\n')) {
    if (/^\s*#/.test(line)) continue;
    if (/\\\s*$/.test(line)) {
      pending += line.replace(/\\\s*$/, ' ');
      continue;
    }
    const full = (pending + line).trim();
    pending = '';
    if (full) logical.push(full);
  }
  const globalArgs = new Map<string, string>();
  const stages: Stage[] = [];
  for (const line of logical) {
    const [, keyword = '', args = ''] = /^(\w+)\s*(.*)$/.exec(line) ?? [];
    const upper = keyword.toUpperCase();
    if (upper === 'FROM') {
      const expanded = args.replace(/\$\{(\w+)\}/g, (_, v: string) => globalArgs.get(v) ?? '');
      const [image = '', , name] = expanded.split(/\s+/);
      stages.push({ from: image, name: name?.toLowerCase(), instructions: [] });
    } else if (stages.length === 0) {
      if (upper === 'ARG') {
        const [name = '', value = ''] = args.split('=');
        globalArgs.set(name, value);
      }
    } else stages.at(-1)!.instructions.push({ keyword: upper, args });
  }
  return stages;
}

function last(stage: Stage, keyword: string): string | undefined {
  return stage.instructions.filter((i) => i.keyword === keyword).at(-1)?.args;
}

/** .dockerignore patterns (no exceptions used) as regular expressions over context paths. */
function ignoredBy(patterns: readonly string[], path: string): string | undefined {
  const segments = path.replace(/^\.\//, '').replace(/\/$/, '').split('/');
  for (const pattern of patterns) {
    const source = pattern
      .replace(/^\//, '')
      .replace(/[.+^$()|[\]]/g, '\\$&')
      .replace(/\*\*/g, '\u0000')
      .replace(/\*/g, '[^/]*')
      .replace(/\?/g, '[^/]')
      .replaceAll('\u0000', '.*');
    const re = new RegExp(`^${source}$`);
    for (let n = 1; n <= segments.length; n++) if (re.test(segments.slice(0, n).join('/'))) return pattern;
  }
  return undefined;
}

describe('Dockerfile', () => {
  const text = read('Dockerfile');
  const stages = parseDockerfile(text);
  const byName = (name: string) => stages.find((s) => s.name === name);
  const cuda = byName('cuda');
  const final = stages.at(-1)!;
  const dockerignore = read('.dockerignore')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));

  it('defaults to a CPU image on node:20-bookworm-slim and has a cuda target on CUDA 12 + cuDNN', () => {
    assert.match(final.from, /^node:20-bookworm-slim$/);
    assert.ok(cuda, 'a stage named cuda');
    assert.match(cuda.from, /^nvidia\/cuda:12\.[\d.]+-cudnn-runtime-ubuntu22\.04$/);
    assert.match(last(cuda, 'ENV') ?? '', /\bTLC_DEVICE=cuda\b/);
  });

  for (const [label, stage] of [
    ['cpu (default)', final],
    ['cuda', cuda],
  ] as const) {
    it(`${label} image: non-root USER, EXPOSE 8080, node HEALTHCHECK on ${LIVE}, CMD tlc serve`, () => {
      assert.ok(stage);
      const user = last(stage, 'USER');
      assert.ok(user, 'a USER instruction');
      assert.doesNotMatch(user, /^(root|0)(:|$)/, `USER ${user}`);
      assert.match(last(stage, 'EXPOSE') ?? '', new RegExp(`\\b${PORT}\\b`));
      const healthcheck = last(stage, 'HEALTHCHECK') ?? '';
      assert.match(healthcheck, /CMD \["node"/);
      assert.ok(healthcheck.includes(LIVE), 'HEALTHCHECK calls the liveness route');
      assert.deepEqual(JSON.parse(last(stage, 'CMD') ?? 'null'), ['node', 'dist/cli/tlc.js', 'serve']);
      const copies = stage.instructions.filter((i) => i.keyword === 'COPY').map((i) => i.args);
      for (const needed of ['node_modules', 'dist', 'openapi.yaml', 'models', 'package.json'])
        assert.ok(
          copies.some((c) => c.includes(needed)),
          `copies ${needed}`,
        );
    });
  }

  it('installs production dependencies with npm ci --omit=dev, and the CUDA provider with its switch', () => {
    const runs = stages.flatMap((s) => s.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args));
    assert.ok(runs.some((r) => /npm ci\b.*--omit=dev/.test(r)));
    // onnxruntime-node's install script reads ONNXRUNTIME_NODE_INSTALL (see its script/install-utils.js).
    const installer = stages.find((s) =>
      s.instructions.some(
        (i) =>
          i.keyword === 'RUN' &&
          /ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules\/onnxruntime-node\/script\/install\.js/.test(
            i.args,
          ),
      ),
    );
    assert.ok(installer?.name, 'a named stage installs the CUDA provider');
    assert.ok(
      cuda?.instructions.some((i) => i.keyword === 'COPY' && i.args.includes(`--from=${installer.name} `)),
      'the cuda stage copies its node_modules',
    );
    assert.ok(
      !final.instructions.some((i) => i.keyword === 'COPY' && i.args.includes(`--from=${installer.name} `)),
      'the CPU image does not carry the CUDA provider',
    );
  });

  it('copies only files that exist and that .dockerignore lets through', () => {
    for (const entry of ['node_modules', 'dist', '.cache', 'runs', '.git', '.scratch', 'tmp'])
      assert.ok(dockerignore.includes(entry), `.dockerignore lists ${entry}`);
    const sources = stages.flatMap((s) =>
      s.instructions
        .filter((i) => i.keyword === 'COPY' && !i.args.includes('--from='))
        .flatMap((i) => {
          const parts = i.args.split(/\s+/).filter((p) => !p.startsWith('--'));
          return parts.slice(0, -1);
        }),
    );
    assert.ok(sources.length > 0);
    for (const source of sources) {
      assert.equal(ignoredBy(dockerignore, source), undefined, `${source} is excluded by .dockerignore`);
      assert.ok(existsSync(join(ROOT, source)), `${source} exists`);
    }
  });
});
