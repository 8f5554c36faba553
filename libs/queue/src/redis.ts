/** A plain Redis client for everything that is not a queue: health, locks, campaign events. */
export const REDIS = Symbol('Redis');
