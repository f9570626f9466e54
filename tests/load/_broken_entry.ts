/**
 * A program entry that fails as it loads: a worker of it never serves anything.
 *
 * @module
 */

throw new Error("this entry fails as it loads");
