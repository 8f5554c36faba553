import { Injectable } from '@nestjs/common';
import { Db } from '@adloom/db';

export interface RenderCaptions {
  id: string;
  captionsVttKey: string | null;
}

@Injectable()
export class CaptionsRepository {
  constructor(private readonly db: Db) {}

  find(workspaceId: string, renderId: string): Promise<RenderCaptions | undefined> {
    return this.db.one<RenderCaptions>(
      'SELECT id, captions_vtt_key AS "captionsVttKey" FROM render WHERE workspace_id = $1 AND id = $2',
      [workspaceId, renderId],
    );
  }
}
