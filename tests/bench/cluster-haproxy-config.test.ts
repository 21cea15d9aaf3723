import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { haproxyConfigFor } from '../../bench/cluster/haproxy-config.js';

const EXAMPLE = readFileSync(new URL('../../docs/haproxy.cfg', import.meta.url), 'utf8');
const nodes = [
  { name: 'node1', mqttPort: 40001, httpPort: 40101 },
  { name: 'node2', mqttPort: 40002, httpPort: 40102 },
  { name: 'node3', mqttPort: 40003, httpPort: 40103 },
];

/** The server lines of one backend section. */
function serversOf(config: string, backend: string): string[] {
  const section = config.split(/^(?=backend |frontend |global|defaults)/m).find((s) => s.startsWith(`backend ${backend}`));
  return (section ?? '')
    .split('\n')
    .filter((line) => /^\s+server\s/.test(line))
    .map((line) => line.trim());
}

describe("the cluster bench's HAProxy configuration", () => {
  it('has one MQTT server line per node, with the example’s PROXY protocol and health check', () => {
    expect(serversOf(haproxyConfigFor(nodes, EXAMPLE), 'mqtt_nodes')).toEqual([
      'server node1 127.0.0.1:40001 send-proxy-v2 check check-send-proxy',
      'server node2 127.0.0.1:40002 send-proxy-v2 check check-send-proxy',
      'server node3 127.0.0.1:40003 send-proxy-v2 check check-send-proxy',
    ]);
  });

  it('has one HTTP server line per node, each with a sticky cookie of its own', () => {
    expect(serversOf(haproxyConfigFor(nodes, EXAMPLE), 'web_nodes')).toEqual([
      'server node1 127.0.0.1:40101 cookie node1 check',
      'server node2 127.0.0.1:40102 cookie node2 check',
      'server node3 127.0.0.1:40103 cookie node3 check',
    ]);
  });

  it('serves a single node too', () => {
    const config = haproxyConfigFor(nodes.slice(0, 1), EXAMPLE);
    expect(serversOf(config, 'mqtt_nodes')).toHaveLength(1);
    expect(serversOf(config, 'web_nodes')).toHaveLength(1);
  });

  it('keeps every other line of the example as it is', () => {
    const withoutServers = (text: string) => text.split('\n').filter((line) => !/^\s+server\s/.test(line));
    expect(withoutServers(haproxyConfigFor(nodes, EXAMPLE))).toEqual(withoutServers(EXAMPLE));
  });

  it('refuses an example it cannot build on', () => {
    expect(() => haproxyConfigFor(nodes, EXAMPLE.replaceAll('node1', 'alpha'))).toThrow(/no server line/);
  });
});
