/**
 * Messages that leave the server (HTTP answers) say where a file is relative to what the client knows, never
 * the host's absolute layout: a path under the models folder is written relative to it, the working directory
 * becomes `.` and the home directory `~`. The log keeps the full paths for the operator.
 */
import { homedir } from 'node:os';
import { resolve, sep } from 'node:path';

/** `text` with absolute paths under `root`, the working directory and the home directory made relative. */
export function publicPaths(text: string, root: string): string {
  let out = text;
  const prefixes: [string, string][] = [
    [resolve(root), ''],
    [process.cwd(), '.'],
    [homedir(), '~'],
  ];
  for (const [prefix, replacement] of prefixes) {
    if (prefix === sep || prefix === '') continue;
    out = out.split(`${prefix}${sep}`).join(replacement === '' ? '' : `${replacement}${sep}`);
    // The prefix itself, not followed by more path (`/srv/models: empty`).
    out = out.replace(
      new RegExp(`${escapeRegExp(prefix)}(?![\\w.-])`, 'g'),
      replacement === '' ? '.' : replacement,
    );
  }
  return out;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
