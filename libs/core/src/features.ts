import { Type } from '@nestjs/common';

/** The feature rooms, each one Nest module. */
export const FEATURE_MODULES: Type[] = [];
