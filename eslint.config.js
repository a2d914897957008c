import js from "@eslint/js";
import tseslint from "typescript-eslint";

// The direction of the house (README, "map of the code"): contracts in src/domain import nothing
// outside it; only the composition root (src/cli) chooses the tools and builds real clients; the
// layers below the coordinator never reach back up into it. test/, bench/ and scripts/ are exempt.
const TOOLS_ONLY_FROM_CLI = {
  group: ["**/tools/*", "**/tools"],
  message: "Only the composition root (src/cli) imports tools/: take the tool list as a dependency.",
};
const NOTHING_IMPORTS_CLI = {
  group: ["**/cli/*", "**/src/cli"],
  message: "Nothing imports src/cli: it is the composition root. Move what you need below it.",
};
// fathom has no shell: nodes are read and changed only through named SSM documents, so no code
// under src/, tools/ or workflows/ starts a process. Scripts and benchmarks that do pass argument
// arrays, never a command string (no `exec`, no `shell: true`).
const NO_PROCESSES = ["node:child_process", "child_process"].map((name) => ({
  name,
  message: "fathom has no shell: read and change nodes through named SSM documents, never a local process.",
}));
const NO_SHELL_STRINGS = ["node:child_process", "child_process"].map((name) => ({
  name,
  importNames: ["exec", "execSync"],
  message: "exec runs a command string through a shell: use spawn or execFile with an argument array.",
}));
const NO_SHELL_OPTION = {
  selector: "Property[key.name='shell'][value.value=true]",
  message: "shell: true turns arguments into a command string: pass an argument array without a shell.",
};
const NOTHING_REACHES_UP = {
  group: ["**/coordinator/*", "**/workflows/*", "**/serve/*", "**/scenarios/*"],
  message: "This layer sits below the coordinator and the machine: take what it needs from src/domain.",
};

export default tseslint.config(
  { ignores: ["node_modules/", ".bench/", ".tmp/", "coverage/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-console": "error",
    },
  },
  {
    files: ["src/**/*.ts", "tools/**/*.ts", "workflows/**/*.ts"],
    ignores: ["src/cli/**"],
    rules: {
      "no-restricted-imports": ["error", { paths: NO_PROCESSES, patterns: [TOOLS_ONLY_FROM_CLI, NOTHING_IMPORTS_CLI] }],
    },
  },
  {
    files: ["src/cli/**/*.ts"],
    rules: { "no-restricted-imports": ["error", { paths: NO_PROCESSES }] },
  },
  {
    files: ["bin/**", "scripts/**", "bench/**", "test/**"],
    rules: { "no-restricted-imports": ["error", { paths: NO_SHELL_STRINGS }] },
  },
  {
    files: ["**/*.ts", "**/*.mjs", "**/*.js"],
    rules: { "no-restricted-syntax": ["error", NO_SHELL_OPTION] },
  },
  {
    files: [
      "src/{catalog,evidence,mcp,policy,report,store,synthesis,toolkit,triggers}/**/*.ts",
      "src/logger.ts",
      "tools/**/*.ts",
    ],
    rules: {
      "no-restricted-imports": [
        "error",
        { paths: NO_PROCESSES, patterns: [TOOLS_ONLY_FROM_CLI, NOTHING_IMPORTS_CLI, NOTHING_REACHES_UP] },
      ],
    },
  },
  {
    files: ["src/domain/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: NO_PROCESSES,
          patterns: [
            {
              group: ["../*", "../../*"],
              message: "src/domain imports nothing outside itself: it holds the contracts.",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["bin/**", "scripts/**", "bench/**", "src/cli/**"],
    rules: { "no-console": "off" },
    languageOptions: { globals: { process: "readonly", console: "readonly" } },
  },
);
