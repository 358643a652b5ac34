// The ceiling for serving media: a minimal Fastify app with @fastify/static (the server's own versions of both),
// serving one directory. Run as its own process: `node src/static-server.js <port> <dir>`; prints "ready".
import { createRequire } from 'node:module';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const fromServer = createRequire(join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'server', 'package.json'));
const Fastify = fromServer('fastify');
const fastifyStatic = fromServer('@fastify/static');

const [port, root] = [Number(process.argv[2]), process.argv[3]];
const app = Fastify({ logger: false });
await app.register(fastifyStatic, { root, prefix: '/' });
await app.listen({ host: '127.0.0.1', port });
console.log('ready');
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
