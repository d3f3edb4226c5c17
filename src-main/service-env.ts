// The lab service's environment variables. In the packaged app, Python cannot read inside
// app.asar, so the engine and its locks lie in the resources folder (electron-builder.json's
// extraResources); XLAB_RESOURCES tells src-core/environment/resources.ts where. Which Python runs
// the engine is decided by src-core/environment/locations.ts alone (XLAB_PYTHON, else the managed
// environment in the per-user data folder, or a checkout's .venv in development).

/** Builds the service's environment from main's. */
export function serviceEnv(env: NodeJS.ProcessEnv, app: { isPackaged: boolean; resourcesPath: string }): Record<string, string> {
  const out = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => typeof e[1] === 'string'))
  if (app.isPackaged && !out.XLAB_RESOURCES) out.XLAB_RESOURCES = app.resourcesPath
  return out
}
