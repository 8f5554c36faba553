const fs = require('node:fs');

module.exports = async () => {
  const state = globalThis.__ADLOOM_SERVICES__;
  if (!state) return;
  await new Promise((resolve) => {
    if (state.child.exitCode !== null) return resolve();
    state.child.once('exit', resolve);
    state.child.kill('SIGTERM');
    setTimeout(() => state.child.kill('SIGKILL'), 10000).unref();
  });
  fs.rmSync(state.home, { recursive: true, force: true });
};
