/**
 * `npm run db:migrate`: applies pending migrations to the configured database and exits.
 * @module
 */
import { loadConfig } from '../config.js';
import { openDatabase } from './connect.js';

const config = loadConfig();
const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
await database.close();
console.log('Migrations applied.');
