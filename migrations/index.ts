import { Foundation1732300000000 } from './1732300000000-foundation';
import { Campaigns1732300100000 } from './1732300100000-campaigns';
import { Engagement1732300200000 } from './1732300200000-engagement';

/** Every migration in order. Generated, then read and tidied by hand; run by `adloom migrate`. */
export const MIGRATIONS = [Foundation1732300000000, Campaigns1732300100000, Engagement1732300200000];
