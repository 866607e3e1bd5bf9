/**
 * @module What every deploy does before it is stored, whether it creates a script or adds a
 * version: refuse APIs PiCloud does not provide, bundle an upload that imports packages or spans
 * several files, and check the result in the sandbox. No HTTP, no SQL here.
 */
import { sha256Hex } from "../../common/hash.ts";
import type { ManagerDeps } from "../deps.ts";
import { bundle, needsBundle } from "./bundle.ts";
import { compileCheck, refuseUnsupported } from "./compile_check.ts";
import type { VersionBundle } from "./repo.ts";
import type { Upload } from "./upload.ts";

/** A deploy ready to store as a version. */
export interface PreparedDeploy {
  /** The entry's source as uploaded (what the version shows). */
  source: string;
  /** The hash of what runs (the bundle, or the source). */
  hash: string;
  /** The upload's other files, imports, lock and bundle; undefined for a lone `main.ts`. */
  bundled?: VersionBundle;
}

/**
 * Bundles the upload when it needs it (`bundle.ts`), then checks what will run in the app's
 * sandbox; refusals are the deploy's 4xx (`unsupported_api`, `bundle_failed`,
 * `dependency_unavailable`, `compile_error`).
 */
export async function prepareDeploy(
  deps: Pick<ManagerDeps, "pool" | "config">,
  appId: string,
  upload: Upload,
): Promise<PreparedDeploy> {
  const source = upload.files[upload.entry];
  let runs = source;
  let bundled: VersionBundle | undefined;
  refuseUnsupported(upload.files);
  if (needsBundle(upload)) {
    const b = await bundle(upload, deps.config.bundler);
    const { [upload.entry]: _entry, ...others } = upload.files;
    runs = b.code;
    bundled = {
      entry: upload.entry,
      files: Object.keys(others).length > 0 ? others : null,
      imports: Object.keys(upload.imports ?? {}).length > 0 ? upload.imports! : null,
      lock: b.lock,
      packages: b.packages,
      bundle: b.code,
      bundleMap: b.map,
    };
  } else if (upload.entry !== "main.ts") {
    const none = { files: null, imports: null, lock: null, packages: null, bundle: null };
    bundled = { entry: upload.entry, ...none };
  }
  await compileCheck(deps, appId, runs, upload.entry);
  return { source, hash: await sha256Hex(runs), bundled };
}
