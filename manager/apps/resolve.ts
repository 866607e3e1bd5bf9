/** @module The error of an app-scoped request whose `{id_or_slug}` names no app the caller sees. */
import { ApiError } from "../../common/errors.ts";

/** 404 for an app that does not exist or that the caller cannot see. */
export function appNotFound(ref: string): ApiError {
  return new ApiError("app_not_found", `No app ${ref}`);
}
