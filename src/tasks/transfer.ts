/** Which buffers of a worker's answer can be moved to the main thread instead of copied. */

/** The distinct buffers that `views` cover whole (a view of part of a buffer must be copied). */
export function wholeBuffers(views: readonly unknown[]): ArrayBuffer[] {
  const buffers: ArrayBuffer[] = [];
  for (const v of views) {
    if (!ArrayBuffer.isView(v) || !(v.buffer instanceof ArrayBuffer)) continue;
    if (v.byteOffset === 0 && v.byteLength === v.buffer.byteLength && !buffers.includes(v.buffer))
      buffers.push(v.buffer);
  }
  return buffers;
}
