// Where an npm package the test scripts use is installed: next to the tests (a
// node_modules above them) or globally, where scripts/setup puts the pinned
// versions (npm install -g). One copy for every script that loads such a package.
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
let globalRoot;

// The file `require(name)` would load; exits 1 with a message naming the package
// and scripts/setup when it is installed nowhere.
export function npmModule(name) {
  try {
    return require.resolve(name);
  } catch {
    globalRoot ??= execFileSync("npm", ["root", "-g"], { encoding: "utf8" }).trim();
    try {
      return require.resolve(name, { paths: [globalRoot] });
    } catch {
      console.error(`${name} is not installed: run scripts/setup`);
      process.exit(1);
    }
  }
}

// The package itself, as require() gives it (CommonJS packages).
export const requireModule = (name) => require(npmModule(name));
