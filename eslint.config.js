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
    rules: { "no-restricted-imports": ["error", { patterns: [TOOLS_ONLY_FROM_CLI, NOTHING_IMPORTS_CLI] }] },
  },
  {
    files: [
      "src/{catalog,evidence,mcp,policy,report,store,synthesis,toolkit,triggers}/**/*.ts",
      "src/logger.ts",
      "tools/**/*.ts",
    ],
    rules: {
      "no-restricted-imports": ["error", { patterns: [TOOLS_ONLY_FROM_CLI, NOTHING_IMPORTS_CLI, NOTHING_REACHES_UP] }],
    },
  },
  {
    files: ["src/domain/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
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
