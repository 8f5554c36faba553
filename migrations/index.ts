import { Foundation1732300000000 } from './1732300000000-foundation';

/** Every migration in order. Generated, then read and tidied by hand; run by `adloom migrate`. */
export const MIGRATIONS = [Foundation1732300000000];
