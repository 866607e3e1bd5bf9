/** @module The app's version. */

/** Semantic version of this module. */
export const VERSION: string = "1.4.2";
