/**
 * The hostile requests of the server-hardening issue, as a table: each with what a correct server may answer.
 * Refusals must be 4xx (429 and 504 included) with the error shape; the raw-tensor flood is valid work that
 * may also be answered 200.
 */
export interface BadRequest {
  readonly name: string;
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly body?: string;
  readonly accept: (status: number) => boolean;
}

const refused = (status: number) => status >= 400 && status < 500 && status !== 0;
const servedOrRefused = (status: number) => status === 200 || status === 429 || status === 504;

interface Targets {
  /** A fill-mask model (served graph inputs input_ids, attention_mask, mask_rows, top_k; 8000 tokens, 128 positions). */
  readonly fillMask: string;
  readonly translate: string;
}

export function badRequests(t: Targets): BadRequest[] {
  const v2 = (model: string, body: unknown): Pick<BadRequest, 'method' | 'path' | 'body'> => ({
    method: 'POST',
    path: `/v2/models/${model}/infer`,
    body: JSON.stringify(body),
  });
  const text = (data: string, parameters: Record<string, unknown>) => ({
    inputs: [{ name: 'text', shape: [1], datatype: 'BYTES', data: [data] }],
    parameters,
  });
  const tensor = (name: string, shape: number[], data: unknown[]) => ({
    name,
    shape,
    datatype: 'INT64',
    data,
  });
  const raw = (ids: number[][], extra: unknown[] = [], outputs?: unknown[]) =>
    v2(t.fillMask, {
      inputs: [
        tensor('input_ids', [ids.length, ids[0]!.length], ids.flat()),
        tensor(
          'attention_mask',
          [ids.length, ids[0]!.length],
          ids.flat().map(() => 1),
        ),
        ...extra,
      ],
      ...(outputs && { outputs }),
    });
  const rowsOf = (n: number) => tensor('mask_rows', [1], [n]);
  const topK = tensor('top_k', [1], [5]);
  const row = (n: number, id = 20) => Array.from({ length: n }, () => id);
  const masks126 = Array(126).fill('<mask>').join(' ');
  const deep = `{"inputs":[{"name":"text","shape":[1],"datatype":"BYTES","data":${'['.repeat(400_000)}${']'.repeat(400_000)}}]}`;
  const table: [string, Pick<BadRequest, 'method' | 'path' | 'body'>, (s: number) => boolean][] = [
    ['v2 top_k 1e9', v2(t.fillMask, text('the <mask> of time', { top_k: 1e9 })), refused],
    ['v2 top_k "abc"', v2(t.fillMask, text('the <mask> of time', { top_k: 'abc' })), refused],
    ['v2 num_beams 0', v2(t.translate, text('Allah is Wise.', { num_beams: 0 })), refused],
    ['v2 num_beams 1000', v2(t.translate, text('Allah is Wise.', { num_beams: 1000 })), refused],
    ['v2 top_k 8000 × 126 masks', v2(t.fillMask, text(masks126, { top_k: 8000 })), refused],
    [
      'v1 64 inputs × 126 masks × top_k 100',
      {
        method: 'POST',
        path: `/v1/models/${t.fillMask}/fill-mask`,
        body: JSON.stringify({ inputs: Array(64).fill(masks126), parameters: { top_k: 100 } }),
      },
      refused,
    ],
    ['raw [1024, 128] input_ids', raw(Array.from({ length: 1024 }, () => row(128))), refused],
    ['raw token id 9999', raw([[2, 9999, 3]], [rowsOf(1), topK]), refused],
    ['raw 200 positions', raw([row(200)], [rowsOf(1), topK]), refused],
    ['raw mask_rows 99', raw([row(4)], [rowsOf(99), topK]), refused],
    ['raw shape []', v2(t.fillMask, { inputs: [tensor('input_ids', [], [5])] }), refused],
    ['raw shape [2^53, 0]', v2(t.fillMask, { inputs: [tensor('input_ids', [2 ** 53, 0], [])] }), refused],
    ['raw unknown output', raw([row(4)], [rowsOf(1), topK], [{ name: 'nope' }]), refused],
    ['GET /v2/models/%ZZ/ready', { method: 'GET', path: '/v2/models/%ZZ/ready' }, refused],
    [
      'load %ZZ without a key',
      { method: 'POST', path: '/v2/repository/models/%ZZ/load', body: '{}' },
      refused,
    ],
    [
      'JSON nested 400,000 deep',
      { method: 'POST', path: `/v2/models/${t.fillMask}/infer`, body: deep },
      refused,
    ],
    [
      'raw flood [8, 128]',
      raw(
        Array.from({ length: 8 }, () => row(128)),
        [rowsOf(64), topK],
      ),
      servedOrRefused,
    ],
  ];
  return table.map(([name, request, accept]) => ({ name, ...request, accept }));
}
