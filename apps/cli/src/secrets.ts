import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { generateSigningKey } from '@adloom/provenance';

export interface LocalSecrets {
  TRACKING_SECRET: string;
  PROVENANCE_SIGNING_KEY: string;
  ADLOOM_BOOTSTRAP_ADMIN_KEY?: string;
}

/** Secrets for a laptop: made once under ADLOOM_HOME and reused, so tokens and signatures stay valid. */
export function localSecrets(home: string): LocalSecrets {
  const file = path.join(home, 'secrets.json');
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8')) as LocalSecrets;
  const secrets: LocalSecrets = {
    TRACKING_SECRET: randomBytes(32).toString('base64url'),
    PROVENANCE_SIGNING_KEY: generateSigningKey().privateKeyPem,
  };
  fs.mkdirSync(home, { recursive: true });
  fs.writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}
