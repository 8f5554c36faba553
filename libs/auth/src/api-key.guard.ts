import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthError } from './auth.errors';
import { ApiKeysService } from './api-keys.service';
import { Role } from './keys';
import { Principal, PUBLIC_KEY, ROLES_KEY } from './principal';

/** Global guard: every route needs a key unless marked @Public(); the key's role must be allowed. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ApiKeysService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const request = context
      .switchToHttp()
      .getRequest<{ headers: Record<string, string | undefined>; principal?: Principal }>();
    const header = request.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!match) throw new AuthError('missing_key', 'Send an API key as "Authorization: Bearer adl_…".');
    const principal = await this.keys.verify(match[1]);
    const allowed = this.reflector.getAllAndOverride<Role[]>(ROLES_KEY, targets) ?? [];
    if (principal.role !== 'admin' && !allowed.includes(principal.role)) {
      throw new AuthError('role_forbidden', `A ${principal.role} key cannot do this.`, {
        role: principal.role,
        allowed: ['admin', ...allowed],
      });
    }
    request.principal = principal;
    return true;
  }
}
