/**
 * HAProxy for the cluster bench: the example configuration of docs/haproxy.cfg as it is, with its
 * two `server` lines per backend replaced by one line per node of the run (same options), so the
 * bench measures the configuration users are given.
 */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The example users are given; `--haproxy-config` measures another one built the same way. */
export const EXAMPLE_HAPROXY_CONFIG = fileURLToPath(new URL('../../docs/haproxy.cfg', import.meta.url));

export interface BackendNode {
  name: string;
  mqttPort: number;
  httpPort: number;
}

/** The example's text with the server lines of both backends written for `nodes` on 127.0.0.1. */
export function haproxyConfigFor(nodes: readonly BackendNode[], example: string): string {
  const lines = example.split('\n');
  const out: string[] = [];
  const written = new Set<string>();
  let backend = '';
  for (const line of lines) {
    const section = /^backend\s+(\S+)/.exec(line);
    if (section) {
      backend = section[1]!;
    }
    const server = /^(\s+)server\s+node1\s+"\$\{NODE1_HOST-[^}]*\}:\$\{NODE1_(MQTT|HTTP)_PORT-\d+\}"(.*)$/.exec(line);
    if (server) {
      const [, indent, kind, rest] = server;
      for (const node of nodes) {
        const port = kind === 'MQTT' ? node.mqttPort : node.httpPort;
        // The cookie value names the node: keep the example's `cookie nodeN` for the HTTP backend.
        out.push(`${indent}server ${node.name} 127.0.0.1:${port}${rest!.replace(/cookie node1/, `cookie ${node.name}`)}`);
      }
      written.add(backend);
      continue;
    }
    // The example's further server lines (node2…) are replaced by the ones written above.
    if (/^\s+server\s+node\d+\s/.test(line) && written.has(backend)) continue;
    out.push(line);
  }
  // Both backends, MQTT and HTTP, must have been rewritten: anything else would leave the example's
  // own addresses (10.0.0.x) in the bench's configuration.
  for (const needed of ['mqtt_nodes', 'web_nodes'])
    if (!written.has(needed)) throw new Error(`docs/haproxy.cfg has no server line of node1 in backend ${needed} to build on`);
  return out.join('\n');
}

export async function writeHaproxyConfig(dir: string, nodes: readonly BackendNode[], example: string): Promise<string> {
  const file = join(dir, 'haproxy.cfg');
  await writeFile(file, haproxyConfigFor(nodes, readFileSync(example, 'utf8')));
  return file;
}
