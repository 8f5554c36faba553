import { DataSource } from 'typeorm';
import { createDataSource, Db } from '@adloom/db';
import { ApiKeysRepository, ApiKeysService, Role } from '@adloom/auth';

export async function createKey(
  databaseUrl: string,
  workspace: string,
  role: Role,
  name: string,
): Promise<string> {
  const dataSource: DataSource = await createDataSource(databaseUrl, 1).initialize();
  try {
    const service = new ApiKeysService(new ApiKeysRepository(new Db(dataSource)));
    const { key } = await service.createForWorkspaceName(workspace, role, name);
    return key;
  } finally {
    await dataSource.destroy();
  }
}
