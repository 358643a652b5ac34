// The transport's ceiling for uploads: a bare node:http server that streams each POST body to a file, fsyncs
// it and answers 201, with no framework, hashing or database. Run as its own process:
// `node src/upload-sink.js <port> <dir>`; prints "ready" when listening.
import { createWriteStream } from 'node:fs';
import { open, unlink } from 'node:fs/promises';
import http from 'node:http';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';

const [port, dir] = [Number(process.argv[2]), process.argv[3]];
let next = 0;

const server = http.createServer((req, res) => {
  const path = join(dir, `sink-${process.pid}-${next++}`);
  const answer = (status, body) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  void (async () => {
    try {
      let size = 0;
      req.on('data', (chunk) => (size += chunk.length));
      await pipeline(req, createWriteStream(path, { flags: 'wx' }));
      const handle = await open(path, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      answer(201, { data: { kind: 'file', size_bytes: size } });
    } catch (error) {
      answer(500, { error: { message: String(error) } });
    } finally {
      // Removed after the answer: the figure is the write, not the clean-up.
      await unlink(path).catch(() => {});
    }
  })();
});
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1', () => console.log('ready'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
