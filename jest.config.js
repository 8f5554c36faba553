/** Unit specs sit beside their code (*.spec.ts); cross-app tests live in test/ (*.e2e-spec.ts). */
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
  },
];

module.exports = {
  testEnvironment: 'node',
  rootDir: '.',
  testMatch: ['<rootDir>/{apps,libs,test,bench}/**/*.{spec,e2e-spec}.ts'],
  transform: { '^.+\\.ts$': swc, '/node_modules/.+\\.js$': swc },
  // Dependencies published as ES modules only (loaded natively by Node 24 outside Jest) are compiled to
  // CommonJS for Jest's module system.
  transformIgnorePatterns: ['/node_modules/(?!(content-disposition)/)'],
  moduleNameMapper: { '^@adloom/(.*)$': '<rootDir>/libs/$1/src' },
  globalSetup: '<rootDir>/test/support/global-setup.js',
  globalTeardown: '<rootDir>/test/support/global-teardown.js',
  testTimeout: 60000,
  maxWorkers: 2,
};
