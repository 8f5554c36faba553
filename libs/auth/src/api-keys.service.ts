import { Injectable } from '@nestjs/common';
import { PageQuery } from '@adloom/db';
import { AuthError } from './auth.errors';
import { ApiKeysRepository, toApiKeyView } from './api-keys.repository';
import { generateApiKey, hashApiKey, KEY_PATTERN, keyPrefix, Role } from './keys';
import { Principal } from './principal';

const CACHE_TTL_MS = 10_000;
/** A key in use is looked up again this long before its entry expires, while the entry still answers. */
const REFRESH_AHEAD_MS = 2_000;

/**
 * Issues, verifies and revokes keys. Verification is on every request (delivery included), so
 * verified keys are remembered for a few seconds; revocation in this process takes effect at once,
 * in other processes within the cache's lifetime. A key in steady use is looked up again in the
 * background shortly before its entry expires, so its requests never wait for Postgres.
 */
@Injectable()
export class ApiKeysService {
  private readonly cache = new Map<string, { principal: Principal; until: number }>();
  private readonly loading = new Map<string, Promise<Principal>>();
  /** Bumped by every revocation, so a lookup that began before one does not cache its answer. */
  private revocations = 0;

  constructor(private readonly keys: ApiKeysRepository) {}

  async create(workspaceId: string, role: Role, name = '', key = generateApiKey()) {
    const row = await this.keys.insert(workspaceId, {
      name,
      prefix: keyPrefix(key),
      hash: hashApiKey(key),
      role,
    });
    return { key, apiKey: toApiKeyView(row) };
  }

  async createForWorkspaceName(workspace: string, role: Role, name = '') {
    const workspaceId = await this.keys.ensureWorkspace(workspace);
    return { workspaceId, ...(await this.create(workspaceId, role, name)) };
  }

  /** Makes `key` the admin key of workspace `default` when that workspace has no key yet. */
  async bootstrapAdmin(key: string): Promise<boolean> {
    const workspaceId = await this.keys.ensureWorkspace('default');
    if ((await this.keys.countKeys(workspaceId)) > 0) return false;
    try {
      await this.create(workspaceId, 'admin', 'bootstrap', key);
      return true;
    } catch (error) {
      // Two API processes starting together: the other one stored the same key first.
      if ((error as { driverError?: { code?: string } }).driverError?.code === '23505') return false;
      throw error;
    }
  }

  /** The key's principal; synchronous when the key was verified in the last few seconds. */
  verify(key: string): Principal | Promise<Principal> {
    const cached = this.cache.get(key);
    if (cached) {
      const left = cached.until - Date.now();
      if (left > 0) {
        if (left < REFRESH_AHEAD_MS) this.load(key).catch(() => undefined);
        return cached.principal;
      }
    }
    if (!KEY_PATTERN.test(key)) throw new AuthError('invalid_key', 'The API key is malformed.');
    return this.load(key);
  }

  /** Looks the key up, once at a time per key. */
  private load(key: string): Promise<Principal> {
    let loading = this.loading.get(key);
    if (!loading) {
      loading = this.lookup(key).finally(() => this.loading.delete(key));
      this.loading.set(key, loading);
    }
    return loading;
  }

  private async lookup(key: string): Promise<Principal> {
    const revocations = this.revocations;
    const row = await this.keys.findActiveByHash(hashApiKey(key));
    if (!row) {
      this.cache.delete(key);
      throw new AuthError('invalid_key', 'The API key is unknown or revoked.');
    }
    const principal: Principal = { workspaceId: row.workspace_id, keyId: row.id, role: row.role };
    if (revocations === this.revocations)
      this.cache.set(key, { principal, until: Date.now() + CACHE_TTL_MS });
    return principal;
  }

  list(workspaceId: string, page: PageQuery) {
    return this.keys.list(workspaceId, page);
  }

  async revoke(workspaceId: string, id: string) {
    const row = await this.keys.revoke(workspaceId, id);
    if (!row) throw new AuthError('key_not_found', `No API key ${id} in this workspace.`, { field: 'id' });
    this.revocations++;
    for (const [key, entry] of this.cache) if (entry.principal.keyId === id) this.cache.delete(key);
    return toApiKeyView(row);
  }
}
