import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { Role } from './keys';

export interface Principal {
  workspaceId: string;
  keyId: string;
  role: Role;
}

export const ROLES_KEY = 'adloom:roles';
export const PUBLIC_KEY = 'adloom:public';

/** Roles allowed on a route besides admin, which may do everything. Routes without it are admin-only. */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);
/** A route anyone may call without a key (health, tracking pixels, the console's files). */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  const request = ctx.switchToHttp().getRequest<{ principal?: Principal }>();
  if (!request.principal) throw new Error('CurrentPrincipal used on a public route');
  return request.principal;
});
