// The hub backend's manifest request gives up after SREGISTRY_HTTP_TIMEOUT_MS, as registry:// and library:// do:
// it had a 30 s timeout of its own that the setting never reached.
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { cliInTempHome } from './helpers';

test('shub:// gives up after SREGISTRY_HTTP_TIMEOUT_MS on a server that never answers', async () => {
  const sockets = new Set<net.Socket>();
  // accepts the connection and never says a word
  const silent = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const port = (silent.address() as net.AddressInfo).port;
  const cli = cliInTempHome({
    SREGISTRY_HUB_BASE: `http://127.0.0.1:${port}`,
    SREGISTRY_HTTP_TIMEOUT_MS: '1500',
    SREGISTRY_RETRY_MAX_TIME: '1',
  });
  try {
    const started = Date.now();
    const r = await cli.run(['pull', 'shub://x/y'], { timeoutMs: 25_000 });
    const took = Date.now() - started;
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^ERROR [^\n]*\n$/);
    assert.ok(took < 12_000, `gave up after ${took} ms, not after the 1.5 s asked for`);
  } finally {
    cli.cleanup();
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  }
});
