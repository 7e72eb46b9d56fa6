// The user data template (terraform has no binary here to render it): every name it uses is passed by
// templatefile() and every name passed is used; its rendering stays under EC2's 16 KiB user-data limit; the
// script and the scripts it writes are valid bash (bash -n on a rendering with placeholder values).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { test } from "node:test";
import { loadAll } from "../lib/terraform.mjs";

/** { template path, passed keys } of every templatefile("${path.module}/...", { k = v, ... }) call. */
async function templateCalls() {
  const calls = [];
  const { configs } = await loadAll();
  const visit = (config, value) => {
    if (typeof value === "string") {
      const re = /templatefile\(\s*"\$\{path\.module\}\/([^"]+)"\s*,\s*\{([^}]*(?:\}[^})]*)*)\}\s*\)/gs;
      for (const m of value.matchAll(re)) {
        const keys = [...m[2].matchAll(/^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=/gm)].map((k) => k[1]);
        calls.push({ path: resolve(config.dir, m[1]), keys });
      }
    } else if (value && typeof value === "object") {
      for (const v of Object.values(value)) visit(config, v);
    }
  };
  for (const c of configs) visit(c, c.resource);
  return calls;
}

/** Names a Terraform template refers to: ${name...} and the expressions of %{if}/%{for}, minus loop variables. */
function templateNames(text) {
  const names = new Set();
  const loopVars = new Set();
  for (const m of text.matchAll(/(?<![$%])%\{~?\s*for\s+([A-Za-z_]\w*)(?:\s*,\s*([A-Za-z_]\w*))?\s+in\s+([A-Za-z_]\w*)/g)) {
    loopVars.add(m[1]);
    if (m[2]) loopVars.add(m[2]);
    names.add(m[3]);
  }
  for (const m of text.matchAll(/(?<![$%])%\{~?\s*if\s+([A-Za-z_]\w*)/g)) names.add(m[1]);
  for (const m of text.matchAll(/(?<!\$)\$\{\s*([A-Za-z_]\w*)/g)) names.add(m[1]);
  for (const v of loopVars) names.delete(v);
  return names;
}

/** The template rendered with placeholders: what bash would see, give or take the values. */
function renderWithPlaceholders(text) {
  return text
    .split("\n")
    .filter((line) => !/^\s*(?<![$%])%\{[^}]*\}\s*$/.test(line))
    .join("\n")
    .replace(/(?<!\$)\$\{\s*[A-Za-z_][^}]*\}/g, "placeholder-value-of-forty-characters-xx")
    .replaceAll("$${", "${")
    .replaceAll("%%{", "%{");
}

test("templatefile() arguments and the template's names match", async () => {
  const calls = await templateCalls();
  assert.ok(calls.length > 0, "no templatefile() call found");
  for (const { path, keys } of calls) {
    const used = templateNames(readFileSync(path, "utf8"));
    assert.deepEqual([...used].filter((n) => !keys.includes(n)).sort(), [], `${path}: used but not passed`);
    assert.deepEqual(keys.filter((k) => !used.has(k)).sort(), [], `${path}: passed but not used`);
  }
});

test("user data stays under the 16 KiB limit", async () => {
  for (const { path } of await templateCalls()) {
    const rendered = renderWithPlaceholders(readFileSync(path, "utf8"));
    assert.ok(Buffer.byteLength(rendered) < 16384 - 2048, `${path}: ${Buffer.byteLength(rendered)} bytes rendered (placeholders)`);
  }
});

test("user data and the scripts it writes are valid bash", async () => {
  const dir = mkdtempSync(join(tmpdir(), "deploy-checks-"));
  for (const { path } of await templateCalls()) {
    const rendered = renderWithPlaceholders(readFileSync(path, "utf8"));
    const scripts = [["user-data", rendered]];
    // Heredoc bodies that are scripts: cat > FILE <<'EOF' (quoted: as written) or <<EOF (\$ is a literal $).
    for (const m of rendered.matchAll(/cat > (\S+) <<('?)EOF'?\n(#!\/bin\/bash\n[\s\S]*?)\nEOF\n/g)) {
      scripts.push([m[1], m[2] ? m[3] : m[3].replaceAll("\\$", "$")]);
    }
    assert.ok(scripts.length >= 4, `${path}: expected the start, lifecycle and agent scripts`);
    for (const [name, body] of scripts) {
      const file = join(dir, name.replaceAll("/", "_"));
      writeFileSync(file, body);
      try {
        execFileSync("bash", ["-n", file], { stdio: "pipe" });
      } catch (e) {
        assert.fail(`${path} (${name}): ${e.stderr}`);
      }
    }
  }
});

test("the instance's start script uses every JVM flag of bin/service.jvmargs", async () => {
  const flags = readFileSync(new URL("../../bin/service.jvmargs", import.meta.url), "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));
  assert.ok(flags.length >= 4, "no flags read from bin/service.jvmargs");
  for (const { path } of await templateCalls()) {
    const rendered = renderWithPlaceholders(readFileSync(path, "utf8"));
    const start = rendered.match(/cat > \/opt\/adaptserve\/bin\/start <<'?EOF'?\n([\s\S]*?)\nEOF\n/);
    assert.ok(start, `${path}: no start script written`);
    const joined = start[1].replace(/\\\n/g, " ").split(/\s+/).join(" ");
    for (const f of flags) assert.ok(joined.includes(f), `${path}: the start script lacks ${f}`);
  }
});
