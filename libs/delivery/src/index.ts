export * from './choose';
export * from './duration';
export * from './vast';
